"""`finevq report`: one self-contained file holding the page's own script, style and the assessment."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
import typer
from test_serve_support import sample_assessment

from finevq.schema import Assessment, ModelInfo
from finevq.serve.cli import report_command
from finevq.serve.report import render_report

STATIC = resources.files("finevq.serve") / "static"


def embedded(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="finevq-data">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_report_inlines_everything_and_loads_nothing():
    page = render_report(sample_assessment("clip.mp4"))
    assert (STATIC / "app.js").read_text() in page and (STATIC / "style.css").read_text() in page
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=""", page)
    assert "{{" not in page
    assert embedded(page)["dimensions"]["blur"]["score"] == 41.0


def test_strings_in_the_assessment_cannot_break_out_of_the_page():
    hostile = sample_assessment("</script><script>alert(1)</script>{{script}}.mp4")
    hostile.description = "<img src=x onerror=alert(2)> </SCRIPT>"
    page = render_report(hostile)
    assert page.count("</script>") == 2  # the data block's and the inlined script's own
    assert "<img src=x" not in page
    data = embedded(page)
    assert data["video"] == hostile.video and data["description"] == hostile.description
    assert "<title>finevq report · script&gt;{{script}}.mp4</title>" in page  # the file name, escaped and not filled in


def test_report_command_renders_a_saved_assessment(tmp_path):
    source = tmp_path / "clip.json"
    source.write_text(sample_assessment("clip.mp4").to_json())
    report_command(source, None, "fast")
    assert embedded((tmp_path / "clip.html").read_text())["video"] == "clip.mp4"


def test_report_of_a_failed_assessment_is_written_and_exits_1(tmp_path):
    source = tmp_path / "broken.json"
    source.write_text(Assessment.failure("broken.mp4", ModelInfo(name="fake", version="0"), "truncated", "ends early").to_json())
    with pytest.raises(typer.Exit) as caught:
        report_command(source, tmp_path / "out.html", "fast")
    assert caught.value.exit_code == 1
    assert embedded((tmp_path / "out.html").read_text())["error"]["code"] == "truncated"
