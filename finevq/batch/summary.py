"""What a batch did (the end-of-run report) and what a results file says (`finevq summarize`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..taxonomy import DIMENSIONS, levels_for


@dataclass
class RunReport:
    total: int
    #: Videos whose results were already in the output, and the error codes among them.
    skipped: int = 0
    skipped_failures: Counter = field(default_factory=Counter)
    duplicates: int = 0
    done: int = 0
    failures: Counter = field(default_factory=Counter)
    frames: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)

    def add(self, error_code: str | None, frame_count: int | None) -> None:
        self.done += 1
        if error_code:
            self.failures[error_code] += 1
        else:
            self.frames += frame_count or 0

    @property
    def exit_code(self) -> int:
        """130 when interrupted (like a shell), 1 when any input has a failed row, earlier runs included."""
        if self.interrupted:
            return 130
        return 1 if self.failures or self.skipped_failures else 0

    def render(self) -> Table:
        table = Table(title="batch interrupted" if self.interrupted else "batch finished", show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        failed = sum(self.failures.values())
        table.add_row("inputs", f"{self.total}" + (f" ({self.duplicates} duplicates ignored)" if self.duplicates else ""))
        table.add_row("assessed now", f"{self.done - failed} ok, {failed} failed")
        if self.failures:
            table.add_row("  failed", _codes(self.failures))
        table.add_row("skipped, already done", str(self.skipped))
        if self.skipped_failures:
            table.add_row("  failed earlier", _codes(self.skipped_failures))
        if self.done and self.seconds:
            rate = f"{self.done / self.seconds:.2f} videos/s, {self.frames / self.seconds:.0f} frames/s ({self.done} in {self.seconds:.1f} s)"
            table.add_row("throughput", rate)
        for note in self.notes:
            table.add_row("note", escape(note))
        return table


def _codes(counts: Counter) -> str:
    return ", ".join(f"[red]{code}[/] {count}" for code, count in counts.most_common())


def summarize(frame, worst: int = 10) -> Group:
    """Per-dimension distributions, the worst videos and the error counts of a results DataFrame."""
    ok = frame[frame["ok"].astype(bool)] if len(frame) else frame
    parts: list = [Text(f"{len(frame)} videos: {len(ok)} assessed, {len(frame) - len(ok)} failed", style="bold")]
    if len(ok):
        dist = Table(title="scores (0-100, higher is better)", title_justify="left")
        for name in ("dimension", "mean", "std", "min", "p10", "median", "p90", "max"):
            dist.add_column(name, justify="left" if name == "dimension" else "right")
        dist.add_column("levels, best first")
        for dim in DIMENSIONS:
            scores = ok[f"{dim}_score"].astype(float)
            q = scores.quantile([0.1, 0.5, 0.9])
            counts = ok[f"{dim}_level"].value_counts()
            levels = " · ".join(f"{level} {counts.get(level, 0)}" for level in levels_for(dim))
            stats = (scores.mean(), scores.std() if len(scores) > 1 else 0.0, scores.min(), q[0.1], q[0.5], q[0.9], scores.max())
            dist.add_row(dim.value, *(f"{v:.1f}" for v in stats), levels)
        parts.append(dist)
        bad = Table(title=f"worst {min(worst, len(ok))} by overall score", title_justify="left")
        for name in ("path", "overall", "most impactful", "level"):
            bad.add_column(name, justify="right" if name == "overall" else "left")
        for _, row in ok.sort_values(["overall_score", "path"]).head(worst).iterrows():
            impact = row["most_impactful"] if isinstance(row["most_impactful"], str) else "-"
            bad.add_row(escape(str(row["path"])), f"{row['overall_score']:.1f}", impact, str(row["overall_level"]))
        parts.append(bad)
    failed = frame[~frame["ok"].astype(bool)] if len(frame) else frame
    if len(failed):
        errors = Table(title="errors", title_justify="left")
        errors.add_column("code")
        errors.add_column("videos", justify="right")
        errors.add_column("example")
        for code, count in failed["error_code"].value_counts().items():
            example = failed.loc[failed["error_code"] == code, "path"].iloc[0]
            errors.add_row(f"[red]{escape(str(code))}[/]", str(count), escape(str(example)))
        parts.append(errors)
    return Group(*parts)
