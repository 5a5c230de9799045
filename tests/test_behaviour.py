"""The fast assessor's promise, end to end on generated videos: for every distortion family,
the right dimension's score falls as the distortion grows, overall falls with it, and at the
strongest level the right dimension is named as the one that hurts most.

The clips use seeds and sizes the shipped heads were never calibrated on (calibration used
seeds 101-103 and real footage), so this checks generalisation, not memory.
"""

from __future__ import annotations

import pytest

from finevq.synth.distortions import DISTORTIONS
from finevq.synth.video import make_test_video
from finevq.taxonomy import Dimension, distortion

LEVELS = (0, 2, 3, 4, 5)
SEED = 5

#: Known gaps of the shipped heads (issue 2 stays open until these pass). Strict: the day
#: one starts passing, the suite says so and it moves into the contract.
_NO_DETECTOR = "no artifact signal sees it after H.264 encoding yet"
_BLUR_SATURATES = "blur penalties saturate from level 3 on at 480x270 (the levels are pixel-sized, calibration clips are larger)"
FALLS_GAPS = {
    "banding": _NO_DETECTOR, "ringing": _NO_DETECTOR, "moire": _NO_DETECTOR,
    "gaussian_blur": _BLUR_SATURATES, "defocus_blur": _BLUR_SATURATES, "motion_blur": _BLUR_SATURATES,
    "resolution_blur": _BLUR_SATURATES, "compression_blur": _BLUR_SATURATES,
    "jpeg_blocking": "artifact saturates at the two strongest JPEG levels",
}
IMPACT_GAPS = {
    "ringing": _NO_DETECTOR, "moire": _NO_DETECTOR,
    "dropped_frames": "temporal stays in the best band: dropped frames at 24 fps read as mild lagging only",
}


def _cases(gaps):
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=gaps[n])) if n in gaps else n for n in sorted(DISTORTIONS)]


def _seconds(name: str) -> float:
    return 3.0 if distortion(DISTORTIONS[name].taxonomy).path == "motion" else 1.5


@pytest.fixture(scope="module")
def results(tmp_path_factory, assessor):
    root = tmp_path_factory.mktemp("behaviour")
    clean = {}
    out = {}
    for name in DISTORTIONS:
        seconds = _seconds(name)
        if seconds not in clean:
            clean[seconds] = assessor.assess(make_test_video(root / f"clean_{seconds}.mp4", seconds=seconds, seed=SEED))
        out[name] = [clean[seconds]] + [
            assessor.assess(make_test_video(root / f"{name}_{level}.mp4", distortion=name, level=level, seconds=seconds, seed=SEED))
            for level in LEVELS[1:]
        ]
    return out


@pytest.mark.parametrize("name", _cases(FALLS_GAPS))
def test_score_falls_with_severity(results, name):
    dim = Dimension(DISTORTIONS[name].dimension)
    series = results[name]
    assert all(r.ok for r in series), [r.error for r in series if not r.ok]
    scores = [round(r.score(dim), 2) for r in series]
    overall = [round(r.score("overall"), 2) for r in series]
    assert all(a > b for a, b in zip(scores, scores[1:])), f"{dim} scores over levels {LEVELS}: {scores}"
    assert all(a > b for a, b in zip(overall, overall[1:])), f"overall over levels {LEVELS}: {overall}"


@pytest.mark.parametrize("name", _cases(IMPACT_GAPS))
def test_strongest_level_names_the_right_dimension_and_type(results, name):
    entry = DISTORTIONS[name]
    strongest = results[name][-1]
    assert strongest.most_impactful == Dimension(entry.dimension), (strongest.most_impactful, strongest.description)
    found = [d.type for d in strongest.dimensions[Dimension(entry.dimension)].distortions]
    assert found, f"no {entry.dimension} distortion reported for {name} level 5"


def test_clean_video_is_good(results):
    clean = results["gaussian_blur"][0]
    assert clean.most_impactful is None, clean.description
    assert clean.score("overall") >= 80
    assert all(not clean.dimensions[d].distortions for d in Dimension if d is not Dimension.OVERALL)
