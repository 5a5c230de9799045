"""Rating and attribution accuracy in FineVQ's question forms, read off structured results.

An `Assessment` answers every FineVQ question without generating text: the level of a
score is its rating, a listed distortion is a "yes", the most severe listed type is the
"which type" choice, and `most_impactful` is the "which dimension" choice. Scoring those
against the labels gives numbers comparable to FineVQ's question-answering accuracy while
never depending on how an answer is phrased.
"""

from __future__ import annotations

from typing import Sequence

from pydantic import BaseModel, computed_field

from ..schema import Assessment, DetectedDistortion
from ..taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, SEVERITY_LEVELS, Dimension, level_index
from .references import GOOD, Reference

Pair = tuple[Reference, Assessment]
#: "Strongly distorted" for the impact question: a type at this 1-5 level or above, where
#: "which dimension hurts most" has a clear answer rather than a near tie of slight flaws.
STRONG_LEVEL = 3


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


class Rate(BaseModel):
    correct: int = 0
    total: int = 0

    @computed_field
    @property
    def accuracy(self) -> float | None:
        return _ratio(self.correct, self.total)

    def __add__(self, other: "Rate") -> "Rate":
        return Rate(correct=self.correct + other.correct, total=self.total + other.total)


class YesNo(BaseModel):
    """Counts for "is there any <dim> distortion"; "yes" is the positive class."""

    true_yes: int = 0
    false_yes: int = 0
    false_no: int = 0
    true_no: int = 0

    @computed_field
    @property
    def total(self) -> int:
        return self.true_yes + self.false_yes + self.false_no + self.true_no

    @computed_field
    @property
    def accuracy(self) -> float | None:
        return _ratio(self.true_yes + self.true_no, self.total)

    @computed_field
    @property
    def precision(self) -> float | None:
        return _ratio(self.true_yes, self.true_yes + self.false_yes)

    @computed_field
    @property
    def recall(self) -> float | None:
        return _ratio(self.true_yes, self.true_yes + self.false_no)


def rating_accuracy(pairs: Sequence[Pair]) -> dict[Dimension, Rate]:
    """Share of videos whose predicted score falls in the true score's 20-point level,
    for each dimension that at least one reference scores."""
    rates: dict[Dimension, Rate] = {}
    for dim in DIMENSIONS:
        scored = [(r.scores[dim], a.score(dim)) for r, a in pairs if dim in r.scores]
        if scored:
            rates[dim] = Rate(correct=sum(level_index(t) == level_index(p) for t, p in scored), total=len(scored))
    return rates


def presence_accuracy(pairs: Sequence[Pair]) -> dict[Dimension, YesNo]:
    """Per distortion dimension, over the videos whose labels list types (empty when none do)."""
    typed = [(r, a) for r, a in pairs if r.distortions is not None]
    if not typed:
        return {}
    counts = {}
    for dim in DISTORTION_DIMENSIONS:
        c = YesNo()
        for ref, assessment in typed:
            truth, said = bool(ref.types_of(dim)), bool(assessment.dimensions[dim].distortions)
            if truth and said:
                c.true_yes += 1
            elif said:
                c.false_yes += 1
            elif truth:
                c.false_no += 1
            else:
                c.true_no += 1
        counts[dim] = c
    return counts


def _top_prediction(found: Sequence[DetectedDistortion]) -> str | None:
    """The listed type the assessment ranks highest: severity, then confidence, then listing order."""
    return max(found, key=lambda d: (SEVERITY_LEVELS.index(d.severity), d.confidence)).type if found else None


def _most_severe(ref: Reference, dim: Dimension) -> set[str]:
    """The true types of a dimension that share the top level: any of them answers
    "which type" right, because the labels do not order types within a level."""
    types = ref.types_of(dim)
    return {t for t in types if ref.distortions[t] == ref.distortions[types[0]]}


def type_accuracy(pairs: Sequence[Pair]) -> dict[Dimension, Rate]:
    """Per distortion dimension, over the videos whose labels list a type of it (empty when none do)."""
    rates = {}
    for dim in DISTORTION_DIMENSIONS:
        answers = [(_most_severe(r, dim), _top_prediction(a.dimensions[dim].distortions or [])) for r, a in pairs if r.types_of(dim)]
        if answers:
            rates[dim] = Rate(correct=sum(said in truth for truth, said in answers), total=len(answers))
    return rates


def impact_accuracy(pairs: Sequence[Pair]) -> tuple[Rate, Rate]:
    """(all videos whose labels say, the strongly distorted among them): does most_impactful
    agree, "quality is good" (GOOD) being one of the answers as in FineVQ's question."""
    answered = [(r, r.most_impactful == (a.most_impactful or GOOD)) for r, a in pairs if r.most_impactful is not None]
    strong = [right for r, right in answered if (r.strongest_level() or 0) >= STRONG_LEVEL]
    return Rate(correct=sum(right for _, right in answered), total=len(answered)), Rate(correct=sum(strong), total=len(strong))
