"""Monotone, inspectable heads: one detector per distortion type, combined per dimension.

Each detector maps one measured signal through a monotone piecewise-linear curve to a
*penalty* (0 = no harm, 100 = unwatchable) for its dimension. A dimension's score is
100 minus the combined penalty of its detectors; overall combines the dimensions. Because
every score traces back to named signals and curves, the attribution (which distortion,
how severe) and the description are the same evidence the score used, not a guess beside it.
The curves are fitted by `finevq.heads.calibrate` and shipped as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..schema import DetectedDistortion
from ..taxonomy import DISTORTION_DIMENSIONS, SEVERITY_LEVELS, Dimension, distortion, level_index

#: A dimension's detectors are combined as max + SECONDARY * (sum of the others). The worst
#: distortion dominates; the others count only a little, because detectors of one dimension
#: largely see the same damage (every blur detector responds to any blur), and counting
#: that evidence several times would floor the score at mild distortions.
SECONDARY = 0.05
#: A distortion is reported once its penalty takes the dimension out of the best band.
REPORT_PENALTY = 20.0


@dataclass(frozen=True)
class Detector:
    type: str
    signal: str
    xs: tuple[float, ...]
    penalties: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.xs) != len(self.penalties) or len(self.xs) < 2:
            raise ValueError(f"{self.type}: a curve needs ≥ 2 matching knots")
        if list(self.xs) != sorted(self.xs):
            raise ValueError(f"{self.type}: knots must be sorted by signal value")
        distortion(self.type)

    @property
    def dimension(self) -> Dimension:
        return distortion(self.type).dimension

    def penalty(self, signals: Mapping[str, float]) -> float | None:
        value = signals.get(self.signal)
        if value is None or not np.isfinite(value):
            return None
        return _extrapolated(float(value), self.xs, self.penalties)


@dataclass
class Prediction:
    scores: dict[Dimension, float]
    distortions: dict[Dimension, list[DetectedDistortion]]
    penalties: dict[str, float] = field(default_factory=dict)

    @property
    def most_impactful(self) -> Dimension | None:
        worst = min(DISTORTION_DIMENSIONS, key=lambda d: (self.scores[d], DISTORTION_DIMENSIONS.index(d)))
        return worst if level_index(self.scores[worst]) > 0 else None


def _extrapolated(x: float, xs: Sequence[float], ps: Sequence[float]) -> float:
    """Piecewise linear through the knots; past the worse end it keeps rising with the mean
    slope of the curve but bends towards 100, so a distortion stronger than any calibrated
    one still costs more, without one detector's steep curve swamping the others."""
    worse_at_high = ps[-1] >= ps[0]
    beyond = (x - xs[-1]) if worse_at_high else (xs[0] - x)
    if beyond <= 0:
        return max(0.0, float(np.interp(x, xs, ps)))
    last = ps[-1] if worse_at_high else ps[0]
    slope = abs(ps[-1] - ps[0]) / max(xs[-1] - xs[0], 1e-12)
    room = max(100.0 - last, 1e-6)
    return last + room * (1.0 - float(np.exp(-slope * beyond / room)))


def soft_cap(penalty: float) -> float:
    """Identity up to 80, then approaching 100 without reaching it: penalties keep their
    order at the bottom of the scale instead of all flooring at score 0."""
    if penalty <= 80.0:
        return penalty
    return 80.0 + 20.0 * (1.0 - float(np.exp(-(penalty - 80.0) / 60.0)))


def _combine(penalties: Sequence[float]) -> float:
    if not penalties:
        return 0.0
    ordered = sorted(penalties, reverse=True)
    return ordered[0] + SECONDARY * sum(ordered[1:])


def _confidence(penalty: float) -> float:
    """How sure the report is: 0.5 at the reporting threshold, near 1 well past it."""
    return round(float(1.0 / (1.0 + np.exp(-(penalty - REPORT_PENALTY) / 8.0))), 3)


@dataclass
class Heads:
    version: str
    detectors: list[Detector]
    #: overall penalty = worst dimension penalty + overall_secondary * the rest
    overall_secondary: float = 0.3
    #: penalty every video gets in every distortion dimension: a perfect 100 is not a
    #: claim finevq can back with signals, so even clean video scores in the 90s.
    baseline_penalty: float = 6.0
    notes: str = ""

    @property
    def signal_names(self) -> frozenset[str]:
        """The signals these heads read: all a measurement made only for them needs."""
        return frozenset(det.signal for det in self.detectors)

    def type_penalties(self, signals: Mapping[str, float]) -> dict[str, float]:
        """Per distortion type, the strongest evidence among its detectors (types may have several)."""
        found: dict[str, float] = {}
        for det in self.detectors:
            p = det.penalty(signals)
            if p is not None:
                found[det.type] = max(found.get(det.type, 0.0), p)
        return found

    def combine(self, type_penalties: Mapping[str, float]) -> Prediction:
        scores: dict[Dimension, float] = {}
        reported: dict[Dimension, list[DetectedDistortion]] = {}
        dim_penalty: dict[Dimension, float] = {}
        for dim in DISTORTION_DIMENSIONS:
            mine = {t: p for t, p in type_penalties.items() if distortion(t).dimension is dim}
            dim_penalty[dim] = soft_cap(self.baseline_penalty + _combine(list(mine.values())))
            scores[dim] = 100.0 - dim_penalty[dim]
            reported[dim] = [
                DetectedDistortion(type=t, severity=SEVERITY_LEVELS[max(1, level_index(100.0 - soft_cap(p)))], confidence=_confidence(p))
                for t, p in sorted(mine.items(), key=lambda kv: -kv[1])
                if p >= REPORT_PENALTY
            ]
        excess = sorted((p - self.baseline_penalty for p in dim_penalty.values()), reverse=True)
        overall_penalty = soft_cap(self.baseline_penalty + excess[0] + self.overall_secondary * sum(excess[1:]))
        scores[Dimension.OVERALL] = 100.0 - overall_penalty
        return Prediction(scores=scores, distortions=reported, penalties=dict(type_penalties))

    def predict(self, signals: Mapping[str, float]) -> Prediction:
        return self.combine(self.type_penalties(signals))

    # -- persistence -------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "overall_secondary": self.overall_secondary,
            "baseline_penalty": self.baseline_penalty,
            "notes": self.notes,
            "detectors": [asdict(d) for d in self.detectors],
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path

    @classmethod
    def from_dict(cls, data: Mapping) -> "Heads":
        detectors = [
            Detector(type=d["type"], signal=d["signal"], xs=tuple(d["xs"]), penalties=tuple(d["penalties"]))
            for d in data["detectors"]
        ]
        return cls(
            version=data["version"],
            detectors=detectors,
            overall_secondary=float(data.get("overall_secondary", 0.3)),
            baseline_penalty=float(data.get("baseline_penalty", 6.0)),
            notes=data.get("notes", ""),
        )

    @classmethod
    def load(cls, path: str | Path) -> "Heads":
        return cls.from_dict(json.loads(Path(path).read_text()))


@lru_cache(maxsize=1)
def load_default_heads() -> Heads:
    text = resources.files("finevq.heads").joinpath("default/heads.json").read_text()
    return Heads.from_dict(json.loads(text))
