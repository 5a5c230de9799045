"""The timeline says *when* quality drops, and agrees with the video's scores."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from finevq.synth.content import iter_clip
from finevq.synth.video import write_video

FPS = 25
SECONDS = 6


@pytest.fixture(scope="module")
def half_blurred(tmp_path_factory, assessor):
    """Sharp for three seconds, then strongly blurred; 720p, so the timeline's frames are
    read smaller than the sampled ones."""

    def frames():
        for i, frame in enumerate(iter_clip(1280, 720, SECONDS, FPS, seed=11)):
            yield cv2.GaussianBlur(frame, (0, 0), 5.0) if i >= 3 * FPS else frame

    path = write_video(tmp_path_factory.mktemp("timeline") / "half_blurred.mp4", frames(), FPS)
    return assessor.assess(path)


def test_blur_drops_in_the_seconds_that_are_blurred(half_blurred):
    blur = half_blurred.timeline.scores["blur"]
    assert len(blur) == SECONDS and half_blurred.timeline.seconds == [float(s) for s in range(SECONDS)]
    sharp, blurred = np.mean(blur[:3]), np.mean(blur[3:])
    assert sharp > blurred + 20, blur
    # blur does not pass for noise or compression damage
    for dim in ("noise", "artifact"):
        assert np.ptp(half_blurred.timeline.scores[dim]) < 10, half_blurred.timeline.scores[dim]


def test_timeline_agrees_with_the_video_scores_on_average(half_blurred):
    for dim, series in half_blurred.timeline.scores.items():
        assert abs(np.mean(series) - half_blurred.score(dim)) < 10, (dim, series, half_blurred.score(dim))
