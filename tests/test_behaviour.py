"""The fast assessor's promise, end to end on generated videos: for every distortion family,
the right dimension's score falls as the distortion grows (no level scores better than the
one before beyond the noise of re-encoding, and the strongest level at least 10 points
below the clean clip), overall falls with it, and at the
strongest level the right dimension is named as the one that hurts most.

The clips use a seed and a size the shipped heads never saw (calibration and training used
procedural seeds 101-104 at 640 px and real footage), so this checks generalisation, not memory.
"""

from __future__ import annotations

import pytest

from finevq.synth.distortions import DISTORTIONS
from finevq.synth.video import make_test_video
from finevq.taxonomy import Dimension, distortion

LEVELS = (0, 2, 3, 4, 5)
SEED = 5

#: Known gaps of the shipped heads (issues 2 and 3 stay open until these pass). Not strict:
#: x264 writes slightly different bytes for the same frames on a busy machine (see README),
#: so a gap at the edge can pass on one run and fail on the next.
_RINGING = ("the ideal low-pass's ripples are Gibbs' 9% of the edge and come with its blur, so blur signals "
            "rank it: artifact 84, 80, 76, 59, 68 over the levels (overall falls: 65, 49, 34, 21), and level 5 is named blur")
FALLS_GAPS = {
    "banding": "artifact falls through level 4 (84, 69, 55, 44.7) but level 5 (8 tones per channel) scores 47.5",
    "moire": "artifact falls through level 4 (84, 44, 41, 31) but level 5 (nearest-neighbour scale 0.28) scores 59, "
    "and overall rises with it (29 then 41)",
    "ringing": _RINGING,
    "compression_blur": "blur saturates from level 4 on at 480x270 (the levels are pixel-sized): 21 then 32",
}
IMPACT_GAPS = {
    "ringing": _RINGING,
    "moire": "level 5 (nearest-neighbour scale 0.28) also loses resolution (its labels: artifact 12, blur 43), and "
    "the heads read its blur better than its aliasing (blur 41, artifact 59), so blur is named",
}


#: A level may score this much above the one before it and still count as "not better": the
#: run-to-run noise of re-encoding the same frames (measured: up to a few tenths).
ENCODE_NOISE = 1.0
#: ... but from the clean clip to the strongest level the score must really fall.
MIN_TOTAL_FALL = 10.0


def _cases(gaps):
    return [pytest.param(n, marks=pytest.mark.xfail(reason=gaps[n])) if n in gaps else n for n in sorted(DISTORTIONS)]


def _falls(values):
    return all(b < a + ENCODE_NOISE for a, b in zip(values, values[1:])) and values[-1] <= values[0] - MIN_TOTAL_FALL


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
    assert _falls(scores), f"{dim} scores over levels {LEVELS}: {scores}"
    assert _falls(overall), f"overall over levels {LEVELS}: {overall}"


@pytest.mark.parametrize("name", _cases(IMPACT_GAPS))
def test_strongest_level_names_the_right_dimension_and_type(results, name):
    entry = DISTORTIONS[name]
    strongest = results[name][-1]
    assert strongest.most_impactful == Dimension(entry.dimension), (strongest.most_impactful, strongest.description)
    found = [d.type for d in strongest.dimensions[Dimension(entry.dimension)].distortions]
    assert found, f"no {entry.dimension} distortion reported for {name} level 5"


@pytest.mark.parametrize("seconds", [1.5, 3.0])
def test_clean_video_is_good(results, seconds):
    clean = next(series[0] for name, series in results.items() if _seconds(name) == seconds)
    assert clean.most_impactful is None, clean.description
    assert clean.score("overall") >= 80, clean.description
    assert all(not clean.dimensions[d].distortions for d in Dimension if d is not Dimension.OVERALL), clean.description


def test_temporal_falls_with_the_frame_rate(tmp_path, assessor):
    """The same scene made at ever lower frame rates, each declared as it is (no repeated
    frames, no timestamp gaps): below 20 fps it lags more the fewer pictures it shows."""
    rates = (24, 12, 8, 5, 3)
    series = [assessor.assess(make_test_video(tmp_path / f"rate_{r}.mp4", seconds=3.0, fps=r, seed=SEED)) for r in rates]
    assert all(r.ok for r in series), [r.error for r in series if not r.ok]
    temporal = [round(r.score("temporal"), 2) for r in series]
    overall = [round(r.score("overall"), 2) for r in series]
    assert _falls(temporal), f"temporal over {rates} fps: {temporal}"
    assert _falls(overall), f"overall over {rates} fps: {overall}"
    slowest = series[-1]
    assert slowest.most_impactful is Dimension.TEMPORAL, slowest.description
    assert "lagging" in [d.type for d in slowest.dimensions[Dimension.TEMPORAL].distortions], slowest.description
    # the description names the low rate; a steady rate drops no frames
    for rate, result in zip(rates, series):
        assert ("frames per second, a low frame rate" in result.description) == (rate < 15), result.description
        assert "drop" not in [e.kind for e in result.timeline.events], (rate, result.timeline.events)


def test_length_is_not_a_distortion(tmp_path, assessor):
    """The benchmark's clips last 3 s unless stalls lengthen them; a longer clean clip must
    not read as stalled."""
    short, long = (assessor.assess(make_test_video(tmp_path / f"clean_{s}.mp4", seconds=s, seed=SEED)) for s in (2.0, 6.0))
    assert abs(short.score("temporal") - long.score("temporal")) <= 8, (short.score("temporal"), long.score("temporal"))
    assert not long.dimensions[Dimension.TEMPORAL].distortions, long.description


def test_resolution_is_not_a_distortion(tmp_path, assessor):
    """The same scene at 360p, 720p and 1080p scores alike: the heads were trained on clips of
    at most 360 lines, and read at full size a sharp 1080p picture's fine edges had passed for
    coding edges (artifact 92, 78, 72)."""
    results = [
        assessor.assess(make_test_video(tmp_path / f"clean_{h}p.mp4", width=w, height=h, seconds=1.5, seed=SEED))
        for w, h in ((640, 360), (1280, 720), (1920, 1080))
    ]
    for dim in Dimension:
        scores = [round(r.score(dim), 1) for r in results]
        assert max(scores) - min(scores) <= 8, (dim, scores)
