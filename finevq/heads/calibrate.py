"""Fit the monotone heads on videos with known distortions at known levels.

For every measurable distortion type, the detector signal is chosen by the data: the one
whose value follows the level most faithfully (Spearman) while moving least under the
*other* distortions (cross-talk would blame the wrong dimension). Its curve starts at the
clean footage's typical value and puts each level where that level moves typical footage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from ..taxonomy import distortion
from .model import Detector, Heads

#: Penalty (score points below the clean baseline) each synthetic level should earn.
LEVEL_PENALTIES = (15.0, 30.0, 46.0, 63.0, 80.0)
#: Across the spread of clean footage (10th to 90th percentile) the penalty ramps from 0 to
#: this: clean video stays in the best band, yet any worsening of the signal costs something,
#: so scores fall strictly with severity even where a level hides inside content variation.
CLEAN_RAMP = 3.0
#: A signal whose Spearman correlation with the level is weaker than this, pooled over all
#: sources, is more content than distortion: no detector is built from it.
MIN_RHO = 0.5
#: Smallest distance between knots, as a share of the clean spread (10th-90th percentile).
MIN_GAP = 0.25


@dataclass(frozen=True)
class Row:
    source: str
    distortion: str | None  # taxonomy type name; None for the clean video
    level: int  # 0 for clean
    signals: Mapping[str, float]
    #: Clean footage of reference quality: it alone says how much clean video varies. Real
    #: sources that are soft or compressed to begin with still serve as distortion sources.
    reference: bool = True


def _values(rows: Iterable[Row], signal: str) -> np.ndarray:
    return np.array([r.signals.get(signal, np.nan) for r in rows], dtype=float)


def _candidate_score(signal: str, mine: list[Row], clean: list[Row], others: list[Row]) -> tuple[float, float]:
    """(quality, direction): quality = monotone fit minus cross-talk; direction +1 if higher is worse."""
    rows = clean + mine
    x, y = _values(rows, signal), np.array([r.level for r in rows], dtype=float)
    ok = np.isfinite(x)
    if ok.sum() < 6 or np.ptp(x[ok]) == 0:
        return -np.inf, 1.0
    rho = spearmanr(y[ok], x[ok]).statistic
    if not np.isfinite(rho) or abs(rho) < MIN_RHO:
        return -np.inf, 1.0
    direction = 1.0 if rho > 0 else -1.0
    level2 = np.nanmedian(direction * _values([r for r in mine if r.level == 2], signal))
    strong_others = direction * _values([r for r in others if r.level >= 4], signal)
    crosstalk = float(np.mean(strong_others[np.isfinite(strong_others)] >= level2)) if strong_others.size else 0.0
    return abs(rho) - 0.6 * crosstalk, direction


def fit_detector(type_name: str, rows: Sequence[Row], candidates: Mapping[str, str]) -> Detector | None:
    """candidates: signal name -> its declared worse_when ("higher", "lower" or "away").

    A signal that moves against its declared direction under this distortion is not
    evidence of it (the distortion merely removes what the signal looks for), so it is
    not used even when it correlates.
    """
    mine = [r for r in rows if r.distortion == type_name]
    clean = [r for r in rows if r.distortion is None]
    others = [r for r in rows if r.distortion not in (None, type_name)]
    if not mine or not clean:
        return None
    allowed = {"higher": 1.0, "lower": -1.0}
    scored = [(*_candidate_score(s, mine, clean, others), s) for s in candidates]
    scored = [(q, d, s) for q, d, s in scored if allowed.get(candidates[s], d) == d]
    if not scored:
        return None
    quality, direction, signal = max(scored, key=lambda t: (t[0], t[2]))
    if not np.isfinite(quality):
        return None
    oriented_clean = direction * _values([r for r in clean if r.reference] or clean, signal)
    low, typical, high = (float(np.nanpercentile(oriented_clean, q)) for q in (10, 50, 90))
    knots_x, knots_p = ([low, high], [0.0, CLEAN_RAMP]) if high > low else ([high], [0.0])
    clean_of = {r.source: direction * r.signals.get(signal, np.nan) for r in clean}
    for level, penalty in enumerate(LEVEL_PENALTIES, start=1):
        # Where a level lands on typical footage: the typical clean value plus the median
        # change the level causes within each source. Absolute per-level medians would mix
        # content differences (a soft source reads "blurred" at level 0) into the curve.
        shifts = [direction * r.signals.get(signal, np.nan) - clean_of.get(r.source, np.nan) for r in mine if r.level == level]
        v = typical + float(np.nanmedian(shifts)) if shifts else np.nan
        # A level that moves the signal less than clean footage varies is not told apart
        # from content; giving it a penalty would punish clean videos of the wrong content.
        # Knots closer than a quarter of the clean spread would make a cliff: a change too
        # small to mean anything would swing the score by a whole level.
        if np.isfinite(v) and v > max(knots_x[-1] + MIN_GAP * (high - low), high):
            knots_x.append(v)
            knots_p.append(penalty)
    if len(knots_x) < 2:
        return None
    if direction < 0:
        xs, ps = [-x for x in reversed(knots_x)], list(reversed(knots_p))
    else:
        xs, ps = knots_x, knots_p
    return Detector(type=type_name, signal=signal, xs=tuple(round(x, 6) for x in xs), penalties=tuple(ps))


def fit_heads(rows: Sequence[Row], candidates_for: Mapping[str, Mapping[str, str]], version: str, notes: str = "") -> Heads:
    """candidates_for: type name -> {signal name: declared worse_when} allowed to detect it."""
    detectors = []
    for type_name in sorted({r.distortion for r in rows if r.distortion}):
        distortion(type_name)
        det = fit_detector(type_name, rows, candidates_for[type_name])
        if det is not None:
            detectors.append(det)
    return Heads(version=version, detectors=detectors, overall_secondary=0.4, baseline_penalty=6.0, notes=notes)
