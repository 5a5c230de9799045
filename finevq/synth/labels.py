"""Human-grounded labels for synthetic clips: what a distortion at a level scores, per dimension.

The numbers live in `anchors.json`, derived from KADID-10k and FineVD by
`scripts/derive_label_anchors.py` (which explains each mapping). Here they are applied:
an untouched dimension scores the clean anchor, a distorted one its type's anchor at that
level, and overall pools the dimension impairments as FineVD's ratings do. An artifact that
also throws resolution away (moire, ringing: `Distortion.downscale`) costs blur as well, as
much as resolution blur at the same factor: labelled as artifact alone, their blur taught
the heads that a blurred look can be an artifact, and any up-scaled picture read as moire.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Mapping

import numpy as np

from .. import pooling
from ..taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, Dimension, level_index
from .distortions import DISTORTIONS


@lru_cache(maxsize=1)
def anchors() -> dict:
    return json.loads(resources.files("finevq.synth").joinpath("anchors.json").read_text())


def clean_score() -> float:
    return float(anchors()["clean"])


def type_score(name: str, level: int) -> float:
    """The 0-100 quality people give a picture with this one distortion at level 1..5."""
    if level == 0:
        return clean_score()
    return float(anchors()["types"][name]["scores"][level - 1])


def pooling_exponent() -> float:
    return float(anchors()["overall"]["minkowski_p"])


def pool_overall(scores: Mapping[Dimension, float]) -> float:
    """Overall from the five distortion dimensions (see `finevq.pooling`)."""
    return float(pooling.pool_overall(np.array([scores[d] for d in DISTORTION_DIMENSIONS]), clean_score(), pooling_exponent()))


def resolution_score(factor: float) -> float:
    """Blur score of a picture scaled down by `factor` and back: resolution blur's anchors,
    interpolated on the log of its factors, from the clean score at 1."""
    levels = DISTORTIONS["resolution_blur"].levels
    scores = [clean_score(), *(type_score("resolution_blur", k) for k in range(1, len(levels) + 1))]
    return float(np.interp(np.log(factor), np.log([1.0, *levels]), scores))


def _impairments(applied: Mapping[str, int], dim: str) -> list[float]:
    """What each distortion costs this dimension: its own anchor in its dimension, and for an
    artifact that also discards resolution, that loss in blur."""
    clean = clean_score()
    costs = [clean - type_score(n, lvl) for n, lvl in applied.items() if DISTORTIONS[n].dimension == dim]
    if dim == DISTORTIONS["resolution_blur"].dimension:
        costs += [clean - resolution_score(DISTORTIONS[n].downscale[lvl - 1]) for n, lvl in applied.items() if DISTORTIONS[n].downscale]
    return costs


def label_scores(applied: Mapping[str, int]) -> dict[Dimension, float]:
    """Scores of a clip with registry distortions {name: level}; two in one dimension pool
    like dimensions do."""
    clean = clean_score()
    scores: dict[Dimension, float] = {}
    for dim in DISTORTION_DIMENSIONS:
        mine = _impairments(applied, str(dim))
        scores[dim] = max(0.0, clean - float(pooling.pool_impairments(np.array(mine), pooling_exponent()))) if mine else clean
    scores[Dimension.OVERALL] = pool_overall(scores)
    return {d: round(scores[d], 2) for d in DIMENSIONS}


def most_degraded(scores: Mapping[Dimension, float]) -> Dimension | None:
    worst = min(DISTORTION_DIMENSIONS, key=lambda d: (scores[d], DISTORTION_DIMENSIONS.index(d)))
    return worst if level_index(scores[worst]) > 0 else None
