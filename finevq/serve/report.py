"""`finevq report`: the web page's result view as one HTML file that needs no server.

It inlines the live page's own style.css and app.js, so a report looks exactly like the
page and opens anywhere, offline. The assessment goes in as JSON inside a
`<script type="application/json">`, with every `<` escaped so that no string in it (a
file name, say) can close the script element.
"""

from __future__ import annotations

import html
import re
from importlib import resources

from ..schema import Assessment

_STATIC = resources.files("finevq.serve") / "static"


def render_report(assessment: Assessment) -> str:
    parts = {
        "title": html.escape(assessment.video.replace("\\", "/").rsplit("/", 1)[-1]),
        "style": (_STATIC / "style.css").read_text(encoding="utf-8"),
        "script": (_STATIC / "app.js").read_text(encoding="utf-8"),
        "assessment": assessment.to_json().replace("<", "\\u003c"),
    }
    template = (_STATIC / "report.html").read_text(encoding="utf-8")
    # One pass, so text that is filled in is never searched for placeholders again.
    return re.sub(r"\{\{(\w+)\}\}", lambda match: parts[match.group(1)], template)
