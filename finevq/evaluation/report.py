"""One evaluation of predictions against references: numbers, a screen view, and scatter plots.

Videos without a usable prediction are counted and listed instead of failing the run:
on thousands of real videos a few undecodable files are normal, and an evaluation that
dies on them reports nothing. Every statistic says how many videos it rests on.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable, Sequence

from pydantic import BaseModel, Field
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..schema import Assessment
from ..taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, Dimension
from .accuracy import Rate, YesNo, impact_accuracy, presence_accuracy, rating_accuracy, type_accuracy
from .metrics import DimensionMetrics, Estimate, correlate
from .references import Reference

#: How many missing or failed videos the screen view names before it only counts.
_SHOWN = 5


class Failure(BaseModel):
    video: str
    code: str
    message: str


class EvaluationReport(BaseModel):
    references: int
    #: References with a prediction that has scores: every statistic is computed over these.
    evaluated: int
    #: References no prediction was given for.
    missing: list[str]
    #: References whose prediction is an error (undecodable, not a video, ...).
    failed: list[Failure]
    #: Predictions of videos that no reference names; ignored.
    unreferenced: list[str]
    bootstrap: int
    seed: int
    #: Only the dimensions some reference scores (real datasets: overall alone).
    correlation: dict[Dimension, DimensionMetrics]
    #: Per distortion dimension, over the clean videos and those with a type of that
    #: dimension. On synthetic benchmarks every other video ties at the clean score, and
    #: ties cap SRCC far below 1 whatever the model does; this subset is what ranks.
    correlation_within: dict[Dimension, DimensionMetrics] = Field(default_factory=dict)
    rating: dict[Dimension, Rate]
    #: The attribution questions; empty where the references do not label types.
    presence: dict[Dimension, YesNo]
    which_type: dict[Dimension, Rate]
    which_type_pooled: Rate
    impact: Rate
    #: The impact question over videos with a type at level 3 (of 1-5) or above.
    impact_strong: Rate
    #: (predicted, truth) per dimension, for plots; large, so not part of the JSON.
    points: dict[Dimension, tuple[list[float], list[float]]] = Field(default_factory=dict, exclude=True, repr=False)

    def to_json(self, **kwargs) -> str:
        return self.model_dump_json(**kwargs)

    def __rich__(self) -> Group:
        """`rich.print(report)` shows the tables."""
        parts: list = [self._score_table()]
        if self.correlation_within:
            parts.append(self._score_table(within=True))
        if self.presence or self.which_type:
            parts.append(self._attribution_table())
        if self.impact.total:
            line = f"which dimension hurts most: {_rate(self.impact)}"
            if self.impact_strong.total:
                line += f"; strongly distorted videos: {_rate(self.impact_strong)}"
            parts.append(Text(line))
        parts.append(self._coverage())
        return Group(*parts)

    def _score_table(self, within: bool = False) -> Table:
        title = "Scores within each dimension's clips (clean + distorted in it)" if within else "Scores"
        table = Table(title=f"{title} ({self.bootstrap} bootstrap resamples, 95% intervals)" if self.bootstrap else title)
        for name in ("dimension", "videos", "SRCC", "KRCC", "PLCC", "RMSE", "level accuracy"):
            table.add_column(name, justify="left" if name == "dimension" else "right")
        for dim, m in (self.correlation_within if within else self.correlation).items():
            rating = _rate(self.rating[dim]) if dim in self.rating and not within else "-"
            if not m.available:
                table.add_row(dim.value, str(m.n), Text(m.unavailable, style="dim"), "", "", "", rating)
                continue
            table.add_row(dim.value, str(m.n), _estimate(m.srcc), _estimate(m.krcc), _estimate(m.plcc),
                          _estimate(m.rmse, ".1f"), rating)
        return table

    def _attribution_table(self) -> Table:
        table = Table(title="Attribution (FineVQ's questions)")
        for name in ("dimension", "yes/no accuracy", "precision", "recall", "which type"):
            table.add_column(name, justify="left" if name == "dimension" else "right")
        for dim in dict.fromkeys([*self.presence, *self.which_type]):
            yes_no = self.presence.get(dim)
            table.add_row(
                dim.value,
                f"{_percent(yes_no.accuracy)} of {yes_no.total}" if yes_no else "-",
                _percent(yes_no.precision) if yes_no else "-",
                _percent(yes_no.recall) if yes_no else "-",
                _rate(self.which_type[dim]) if dim in self.which_type else "-",
            )
        if self.which_type:
            table.add_row("pooled", "", "", "", _rate(self.which_type_pooled), style="bold")
        return table

    def _coverage(self) -> Text:
        text = Text(f"{self.evaluated} of {self.references} videos evaluated")
        if self.missing:
            text.append(f"; {len(self.missing)} without a prediction: {_some(self.missing)}", style="yellow")
        if self.failed:
            text.append(f"; {len(self.failed)} failed: {_some([f'{f.video} ({f.code})' for f in self.failed])}", style="red")
        if self.unreferenced:
            text.append(f"; {len(self.unreferenced)} predictions with no reference ignored", style="dim")
        return text

    def save_scatter(self, directory: str | Path) -> list[Path]:
        """One PNG per dimension with statistics: predicted against human score, and the fitted curve."""
        from .scatter import save_scatter

        return save_scatter(self, Path(directory))


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _rate(rate: Rate) -> str:
    return f"{_percent(rate.accuracy)} of {rate.total}"


def _estimate(e: Estimate, spec: str = ".3f") -> str:
    if math.isnan(e.value):
        return "undefined"  # constant predictions or labels
    if e.low is None:
        return format(e.value, spec)
    return f"{e.value:{spec}} [{e.low:{spec}}, {e.high:{spec}}]"


def _some(items: Sequence[str]) -> str:
    return ", ".join(items[:_SHOWN]) + (", ..." if len(items) > _SHOWN else "")


def _key(video: str) -> str:
    """Paths are matched after normalising ("./a/../b.mp4" is "b.mp4"), nothing looser: two
    datasets' files can share a name in different folders (LSVQ's batches do)."""
    return os.path.normpath(video)


def evaluate(references: Sequence[Reference], assessments: Iterable[Assessment], *, bootstrap: int = 1000, seed: int = 0) -> EvaluationReport:
    """Match predictions to references by video path and compute every statistic the references allow.

    When one video has several predictions, one with scores wins over an error, so a retry
    that succeeded counts. Duplicate references are an error: their truth is ambiguous.
    """
    by_video: dict[str, Reference] = {}
    for ref in references:
        if _key(ref.video) in by_video:
            raise ValueError(f"{ref.video} is listed twice in the references")
        by_video[_key(ref.video)] = ref
    predicted: dict[str, Assessment] = {}
    for a in assessments:
        if predicted.get(_key(a.video)) is None or not predicted[_key(a.video)].ok:
            predicted[_key(a.video)] = a
    pairs = [(ref, predicted[k]) for k, ref in by_video.items() if k in predicted and predicted[k].ok]
    correlation, points = {}, {}
    for dim in DIMENSIONS:
        scored = [(a.score(dim), r.scores[dim]) for r, a in pairs if dim in r.scores]
        if any(dim in r.scores for r in references):
            x, y = [p for p, _ in scored], [t for _, t in scored]
            correlation[dim], points[dim] = correlate(x, y, bootstrap=bootstrap, seed=seed), (x, y)
    within = {}
    if pairs and all(r.distortions is not None for r, _ in pairs):
        for dim in DISTORTION_DIMENSIONS:
            scored = [(a.score(dim), r.scores[dim]) for r, a in pairs if dim in r.scores and (r.types_of(dim) or not r.distortions)]
            if scored and len(scored) < len(pairs):
                within[dim] = correlate([p for p, _ in scored], [t for _, t in scored], bootstrap=bootstrap, seed=seed)
    which_type = type_accuracy(pairs)
    impact, impact_strong = impact_accuracy(pairs)
    return EvaluationReport(
        references=len(by_video),
        evaluated=len(pairs),
        missing=[ref.video for k, ref in by_video.items() if k not in predicted],
        failed=[Failure(video=ref.video, code=predicted[k].error.code, message=predicted[k].error.message)
                for k, ref in by_video.items() if k in predicted and not predicted[k].ok],
        unreferenced=[a.video for k, a in predicted.items() if k not in by_video],
        bootstrap=bootstrap,
        seed=seed,
        correlation=correlation,
        correlation_within=within,
        rating=rating_accuracy(pairs),
        presence=presence_accuracy(pairs),
        which_type=which_type,
        which_type_pooled=sum(which_type.values(), Rate()),
        impact=impact,
        impact_strong=impact_strong,
        points=points,
    )
