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

#: Known gaps of the shipped heads (issues 2 and 3 stay open until these pass). Strict: the
#: day one starts passing, the suite says so and it moves into the contract.
_NO_DETECTOR = "no artifact signal sees it after H.264 encoding yet"
_CLEAN_COLOR = ("the learned heads score this clean 480x270 scene's colour 78 (slight over dark): they were "
                "trained at 640 px on 16 sources and are resolution-sensitive, so levels 0-2 do not fall")
FALLS_GAPS = {
    "banding": _NO_DETECTOR, "ringing": _NO_DETECTOR, "moire": _NO_DETECTOR,
    "resolution_blur": "blur saturates from level 3 on at 480x270 (the levels are pixel-sized)",
    "compression_blur": "blur saturates from level 3 on at 480x270 (the levels are pixel-sized)",
    "color_cast": _CLEAN_COLOR, "over_bright": _CLEAN_COLOR,
    "stutter": "overall flattens at about 29 from level 3 on (the temporal score itself falls)",
    "dropped_frames": "temporal rises again at level 5 (60% of frames dropped reads partly as a lower frame rate)",
}
#: Not strict: the two strongest levels score within a point of each other and their order
#: differs between a fresh process and one that ran the batch tests first (0.15 points on the
#: clean clip: an in-process state difference still being tracked down, see README).
FALLS_UNSTABLE = {
    "low_saturation": "colour at levels 4 and 5 within a point (about 16 vs 17); their order is not stable across process states",
}
IMPACT_GAPS = {
    "ringing": _NO_DETECTOR,
    "banding": "banding level 5 lowers artifact but the type classifier does not name banding",
}


def _cases(gaps, unstable=None):
    unstable = unstable or {}

    def mark(n):
        if n in gaps:
            return pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=gaps[n]))
        if n in unstable:
            return pytest.param(n, marks=pytest.mark.xfail(strict=False, reason=unstable[n]))
        return n

    return [mark(n) for n in sorted(DISTORTIONS)]


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


@pytest.mark.parametrize("name", _cases(FALLS_GAPS, FALLS_UNSTABLE))
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


@pytest.mark.xfail(strict=True, reason=_CLEAN_COLOR)
def test_clean_video_is_good(results):
    clean = results["gaussian_blur"][0]
    assert clean.most_impactful is None, clean.description
    assert clean.score("overall") >= 80
    assert all(not clean.dimensions[d].distortions for d in Dimension if d is not Dimension.OVERALL)
