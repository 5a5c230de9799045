"""Which frames the spatial path sees, decided before decoding so one pass serves every path.

FineVQ samples 8 frames uniformly; the timeline needs one frame per second. Targets are
times, not indices, so variable-frame-rate video is sampled evenly in time, and the choice
is a pure function of the header facts: the same file always gives the same frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SPATIAL_FRAMES = 8


@dataclass(frozen=True)
class SamplingPlan:
    sample_times: tuple[float, ...]
    #: One target per whole second of video, at the middle of the second. A second that
    #: already holds one of the sampled frames reuses it rather than decoding another.
    second_times: tuple[float, ...]


def plan_sampling(duration: float, n_samples: int = SPATIAL_FRAMES) -> SamplingPlan:
    duration = max(float(duration), 1e-3)
    samples = tuple((i + 0.5) * duration / n_samples for i in range(n_samples))
    n_seconds = max(1, math.ceil(duration - 1e-6))
    covered = {int(t) for t in samples}
    seconds = tuple(
        min(s + 0.5, (s + duration) / 2 if s + 1 > duration else s + 0.5) for s in range(n_seconds) if s not in covered
    )
    return SamplingPlan(sample_times=samples, second_times=seconds)
