"""How overall quality follows the five distortion dimensions: one definition, used by the
synthetic labels (`synth.labels`) and by the learned heads, so predictions pool exactly as
the labels they were trained on.

The form is a Minkowski norm of the impairments below a clean score: one impairment passes
through unchanged (a single distortion's clip is as good overall as its worst aspect, as
KADID-10k's raters judged), several add a little, as much as FineVD's per-dimension
ratings say (its exponent is fitted by `scripts/derive_label_anchors.py`).
"""

from __future__ import annotations

import numpy as np

#: Below this, pooled overall scores bend towards 0 instead of being cut there, so two
#: strong distortions still rank below one.
FLOOR_KNEE = 5.0


def pool_impairments(impairments: np.ndarray, p: float) -> np.ndarray:
    """Minkowski norm along the last axis; negative impairments (better than clean) count 0."""
    impairments = np.clip(np.asarray(impairments, dtype=np.float64), 0.0, None)
    top = impairments.max(axis=-1, initial=0.0)
    safe = np.where(top > 0, top, 1.0)
    # scaled by the largest impairment so that large p cannot overflow
    return top * ((impairments / safe[..., None]) ** p).sum(axis=-1) ** (1.0 / p)


def pool_overall(distortion_scores: np.ndarray, clean: float, p: float) -> np.ndarray:
    """Overall score(s) from (..., 5) distortion-dimension scores, bending softly towards 0."""
    pooled = clean - pool_impairments(clean - np.asarray(distortion_scores, dtype=np.float64), p)
    low = FLOOR_KNEE * np.exp((np.minimum(pooled, FLOOR_KNEE) - FLOOR_KNEE) / FLOOR_KNEE)
    return np.where(pooled >= FLOOR_KNEE, pooled, low)
