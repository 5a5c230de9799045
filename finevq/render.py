"""Human-readable views of an Assessment for the terminal (rich)."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .schema import Assessment
from .taxonomy import DIMENSIONS, level_index

_COLORS = ("green", "bright_green", "yellow", "dark_orange", "red")


def assessment_panel(a: Assessment) -> Panel:
    if not a.ok:
        return Panel(Text(f"{a.error.code}: {a.error.message}", style="red"), title=a.video, border_style="red")
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("dimension")
    table.add_column("score", justify="right")
    table.add_column("level")
    table.add_column("distortions")
    for dim in DIMENSIONS:
        r = a.dimensions[dim]
        color = _COLORS[level_index(r.score)]
        found = ", ".join(f"{d.type} ({d.severity}, {d.confidence:.0%})" for d in r.distortions or [])
        table.add_row(dim.value, f"[{color}]{r.score:.1f}[/]", f"[{color}]{r.level}[/]", found)
    i = a.info
    facts = Text(
        f"{i.width}x{i.height} {i.codec} {i.bit_depth or '?'}-bit, {i.fps or 0:.2f} fps, "
        f"{i.duration or 0:.1f} s, {i.frame_count} frames" + (f", rotated {i.rotation}°" if i.rotation else ""),
        style="dim",
    )
    worst = a.most_impactful.value if a.most_impactful else "none (quality is good)"
    return Panel(
        Group(facts, table, Text(f"most impactful: {worst}", style="bold"), Text(a.description or "")),
        title=a.video,
        subtitle=a.model.name + " " + a.model.version,
    )
