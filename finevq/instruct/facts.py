"""What a question about one video is answered from, whether it came from labels or an assessment.

Instruction generation and `ask` read this one record, so a generated answer and `ask`'s
answer to the same question can never disagree about a video. Unknown is kept apart from
absent (`distortions is None` vs `()`), because "None" is a valid answer only when the
types were actually labelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..schema import Assessment, Event, StallSummary
from ..taxonomy import DISTORTION_DIMENSIONS, SEVERITY_LEVELS, Dimension, distortion, levels_for

#: Which timeline events show which taxonomy type (schema event kinds -> type name).
EVENT_TYPES: dict[str, str] = {
    "stall": "stalling",
    "freeze": "stalling",
    "shake": "shaking",
    "flicker": "flickering",
    "drop": "lagging",
}
#: The types a timeline can answer "when" and "how often" for, in a stable order.
TIMED_TYPES: tuple[str, ...] = ("stalling", "shaking", "flickering", "lagging")


@dataclass(frozen=True)
class VideoFacts:
    video: str
    scores: Mapping[Dimension, float]
    levels: Mapping[Dimension, str]
    #: Canonical type names, most severe first; None when the source did not label types.
    distortions: tuple[str, ...] | None
    #: 1 (weakest) .. 5 per type where the source says; only used to rank types.
    severities: Mapping[str, int] = field(default_factory=dict)
    #: The dimension that hurts overall most; None when nothing does.
    most_impactful: Dimension | None = None
    #: None when the source has no timeline; () when it has one without events.
    events: tuple[Event, ...] | None = None
    stalls: StallSummary | None = None
    duration: float | None = None
    frame_count: int | None = None

    def level_rank(self, dimension: Dimension) -> int:
        """0 for the best band .. 4 for the worst, read from the level word (labels may override scores)."""
        return levels_for(dimension).index(self.levels[dimension])

    def events_of(self, type_name: str) -> tuple[Event, ...] | None:
        if self.events is None:
            return None
        return tuple(e for e in self.events if EVENT_TYPES.get(e.kind) == type_name)

    @property
    def types_known(self) -> bool:
        """Whether types were labelled, so an unlisted type is absent rather than unknown."""
        return self.distortions is not None

    def knows_type(self, type_name: str) -> bool:
        """Whether presence of this type can be told: labelled types, or a timed type with a timeline."""
        return self.types_known or (type_name in TIMED_TYPES and self.events is not None)

    def present_types(self) -> tuple[str, ...]:
        """Listed types, most severe first, then the timed types only the timeline shows."""
        found = list(self.distortions or ())
        for type_name in TIMED_TYPES:
            if type_name not in found and self.events_of(type_name):
                found.append(type_name)
        return tuple(found)

    def types_of(self, dimension: Dimension) -> tuple[str, ...]:
        return tuple(t for t in self.present_types() if distortion(t).dimension is dimension)

    def is_distorted(self, dimension: Dimension) -> bool:
        """FineVQ's yes/no: below the best band, or a type of the dimension is present."""
        return self.level_rank(dimension) > 0 or bool(self.types_of(dimension))


def dominant_dimension(facts: VideoFacts) -> Dimension | None:
    """The distorted dimension with the lowest score; ties go to the one with more present types."""
    distorted = [d for d in DISTORTION_DIMENSIONS if facts.is_distorted(d)]
    if not distorted:
        return None
    return min(distorted, key=lambda d: (facts.scores[d], -len(facts.types_of(d)), DISTORTION_DIMENSIONS.index(d)))


def rank_types(names: list[str], severities: Mapping[str, int]) -> tuple[str, ...]:
    """Most severe first; equal severities keep the order they were given in."""
    return tuple(sorted(dict.fromkeys(names), key=lambda n: -severities.get(n, 0)))


def facts_from_assessment(assessment: Assessment) -> VideoFacts:
    """Read an assessment as facts; the assessor's own most_impactful is kept, not recomputed."""
    if not assessment.ok:
        raise ValueError(f"{assessment.video}: not assessed ({assessment.error.code}: {assessment.error.message})")
    dims = assessment.dimensions
    severities: dict[str, int] = {}
    names: list[str] = []
    for dim in DISTORTION_DIMENSIONS:
        for found in dims[dim].distortions or []:
            names.append(found.type)
            severities[found.type] = max(severities.get(found.type, 0), SEVERITY_LEVELS.index(found.severity))
    info = assessment.info
    return VideoFacts(
        video=assessment.video,
        scores={d: r.score for d, r in dims.items()},
        levels={d: r.level for d, r in dims.items()},
        distortions=rank_types(names, severities),
        severities=severities,
        most_impactful=assessment.most_impactful,
        events=tuple(assessment.timeline.events) if assessment.timeline is not None else None,
        stalls=assessment.stalls,
        duration=info.duration if info else None,
        frame_count=info.frame_count if info else None,
    )
