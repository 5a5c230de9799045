"""What a video is judged against: whatever its dataset says, and nothing it does not.

Real datasets have one overall MOS per video; finevq's own labels can have all six scores,
the distortion types and the most impactful dimension. Absent facts stay absent (None, or
a missing score key) so that each metric is computed over exactly the videos that can
answer it, instead of treating "not labelled" as "not distorted".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Mapping

from ..instruct.facts import VideoFacts
from ..instruct.labels import (
    LabelsError,
    facts_from_row,
    parse_most_impactful,
    parse_rows,
    parse_score,
    parse_types,
    parse_video,
    types_listed,
)
from ..taxonomy import DIMENSIONS, Dimension, distortion

#: FineVQ's "Video quality is good" answer to "which dimension has the greatest impact".
GOOD = "none"


@dataclass(frozen=True)
class Reference:
    video: str
    #: 0-100, higher is better; only the dimensions the dataset labels.
    scores: Mapping[Dimension, float]
    #: Present types, most severe first, each with its 1-5 level or None where the labels
    #: list it without one; None when the dataset does not label types at all.
    distortions: Mapping[str, int | None] | None = None
    #: A dimension, GOOD, or None when the dataset does not say.
    most_impactful: Dimension | Literal["none"] | None = None

    def types_of(self, dimension: Dimension) -> tuple[str, ...]:
        return tuple(t for t in self.distortions or () if distortion(t).dimension is dimension)

    def strongest_level(self) -> int | None:
        """The highest known 1-5 level of any present type; None when no level is known."""
        return max((v for v in (self.distortions or {}).values() if v is not None), default=None)


def reference_from_facts(facts: VideoFacts) -> Reference:
    return Reference(
        video=facts.video,
        scores=dict(facts.scores),
        distortions=None if facts.distortions is None else {n: facts.severities.get(n) for n in facts.distortions},
        most_impactful=facts.most_impactful or GOOD,
    )


def read_references(path: str | Path) -> list[Reference]:
    """Read the finevq labels layout, any subset of the six scores (an empty cell: not labelled).

    A row with all six scores is read exactly as `instruct.read_labels` reads it, so its most
    impactful dimension is derived from the scores when the file does not say, the same
    truth that `instruct` trains on. A row with fewer scores has it only when the file says.
    """
    references = parse_rows(path, ("video",), lambda row, columns: _reference(row, types_listed(columns)))
    if not any(r.scores or r.distortions is not None or r.most_impactful is not None for r in references):
        raise LabelsError(f"{path}: no scores, distortion types or most_impactful values to evaluate against")
    return references


def _reference(row: dict[str, str], types_known: bool) -> Reference:
    scored = [d for d in DIMENSIONS if (row.get(str(d)) or "").strip()]
    if len(scored) == len(DIMENSIONS):
        return reference_from_facts(facts_from_row(row, types_known))
    names, severities = parse_types(row)
    chosen = row.get("most_impactful") or ""
    return Reference(
        video=parse_video(row),
        scores={d: parse_score(row, d) for d in scored},
        distortions={n: severities.get(n) for n in names} if types_known else None,
        most_impactful=(parse_most_impactful(chosen) or GOOD) if chosen.strip() else None,
    )
