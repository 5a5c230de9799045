"""Human-grounded labels for synthetic clips: what a distortion at a level scores, per dimension.

The numbers live in `anchors.json`, derived from KADID-10k and FineVD by
`scripts/derive_label_anchors.py` (which explains each mapping). Here they are applied:
an untouched dimension scores the clean anchor, a distorted one its type's anchor at that
level, and overall pools the dimension impairments as FineVD's ratings do.
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


def label_scores(applied: Mapping[str, int]) -> dict[Dimension, float]:
    """Scores of a clip with registry distortions {name: level}; two in one dimension pool
    like dimensions do."""
    clean = clean_score()
    scores: dict[Dimension, float] = {}
    for dim in DISTORTION_DIMENSIONS:
        mine = [clean - type_score(n, lvl) for n, lvl in applied.items() if DISTORTIONS[n].dimension == dim]
        scores[dim] = max(0.0, clean - float(pooling.pool_impairments(np.array(mine), pooling_exponent()))) if mine else clean
    scores[Dimension.OVERALL] = pool_overall(scores)
    return {d: round(scores[d], 2) for d in DIMENSIONS}


def most_degraded(scores: Mapping[Dimension, float]) -> Dimension | None:
    worst = min(DISTORTION_DIMENSIONS, key=lambda d: (scores[d], DISTORTION_DIMENSIONS.index(d)))
    return worst if level_index(scores[worst]) > 0 else None
