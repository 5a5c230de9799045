"""MOS pipeline: simulated raters through the real study file, and the screening steps on arrays."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from finevq.study import mos
from finevq.study.labels import TYPE_NAMES, analyse
from finevq.study.protocol import Answer
from finevq.study.store import Store
from finevq.taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, distortions_of, level_index

HONEST, CARELESS, VIDEOS = 20, 2, 30


def tiny_mp4(path):
    """A placeholder that passes the container sniffing; the kit never decodes it."""
    path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64))
    return path


def simulate_study(tmp_path, seed=7):
    """20 raters with their own bias, gain and noise plus 2 who answer at random, each working
    through their whole queue (repeats included) via the store, as the server would."""
    rng = np.random.default_rng(seed)
    folder = tmp_path / "videos"
    folder.mkdir()
    store = Store.create(tmp_path / "study.db", repeats=3, seed=seed)
    added, _ = store.add_videos([tiny_mp4(folder / f"v{i:02d}.mp4") for i in range(VIDEOS)])
    truth = {v.id: rng.uniform(5, 95, len(DIMENSIONS)) for v in added}
    present = {v.id: {dim: rng.choice([d.name for d in distortions_of(dim)]) for dim in DISTORTION_DIMENSIONS
                      if rng.random() < 0.5} for v in added}
    people = [("honest", rng.uniform(-12, 12), rng.uniform(0.8, 1.2), rng.uniform(4, 12)) for _ in range(HONEST)]
    people += [("careless", 0.0, 1.0, 0.0)] * CARELESS
    for n, (kind, bias, gain, noise) in enumerate(people):
        annotator = store.open_session(f"{kind}-{n:02d}")
        while (slot := store.next_assignment(annotator.id)) is not None:
            assignment, video = slot
            if kind == "honest":
                seen = 50 + gain * (truth[video.id] - 50) + bias + rng.normal(0, noise, len(DIMENSIONS))
                levels = {d: level_index(x) for d, x in zip(DIMENSIONS, seen)}
                ticks = {d: tuple(t for t in [present[video.id].get(d)] if t and rng.random() < 0.85)
                         for d in DISTORTION_DIMENSIONS}
            else:
                levels = {d: int(rng.integers(0, 5)) for d in DIMENSIONS}
                ticks = {d: tuple(t.name for t in distortions_of(d) if rng.random() < 0.2)
                         for d in DISTORTION_DIMENSIONS}
            store.submit(annotator.id, assignment, video.id, Answer(levels, ticks, {}), "test")
    return store, truth, present


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    store, truth, present = simulate_study(tmp_path_factory.mktemp("sim"))
    return analyse(store.snapshot()), truth, present


def test_careless_raters_are_rejected_and_only_they(simulated):
    study, _, _ = simulated
    rejected = [a.name for a, why in zip(study.annotators, study.result.raters.reasons) if why]
    print("\nrejected:", {a.name: why for a, why in zip(study.annotators, study.result.raters.reasons) if why})
    assert sorted(rejected) == [f"careless-{HONEST + i:02d}" for i in range(CARELESS)]


def test_mos_follow_the_truth(simulated):
    study, truth, _ = simulated
    true = np.array([truth[v.id] for v in study.videos])
    srcc = [stats.spearmanr(study.result.mos[:, j], true[:, j])[0] for j in range(len(DIMENSIONS))]
    print("\nSRCC with truth:", {d.value: round(float(s), 4) for d, s in zip(DIMENSIONS, srcc)})
    print("split-half SRCC:", {d.value: round(float(s), 4) for d, s in zip(DIMENSIONS, study.result.split_half_srcc)})
    assert min(srcc) >= 0.95
    assert (study.result.n_raters == HONEST).all()
    assert (study.result.split_half_srcc > 0.9).all()
    # the panel rescaling keeps MOS on the truth's scale, so level words mean something
    assert np.abs(study.result.mos - true).mean() < 10


def test_majority_distortions_match_what_was_shown(simulated):
    study, _, present = simulated
    hits = 0
    for i, video in enumerate(study.videos):
        majority = {TYPE_NAMES[k] for k in np.flatnonzero(study.result.tick_share[i] >= 0.5)}
        hits += majority == set(present[video.id].values())
    assert hits >= 0.9 * len(study.videos)


def test_repeats_measure_consistency(simulated):
    raters = simulated[0].result.raters
    assert (raters.repeat_pairs == 3 * len(DIMENSIONS)).all()
    assert np.nanmax(raters.repeat_error[:HONEST]) < np.nanmin(raters.repeat_error[HONEST:]) + 0.5


# -- the steps on small arrays ----------------------------------------------------------------

def test_bt500_rejects_many_outliers_unless_they_lean_one_way():
    shape = (4, 40, 1)
    high, low = np.zeros(shape, bool), np.zeros(shape, bool)
    high[0, :10] = True  # biased: many outliers, all high; z-scores remove that
    high[1, :5] = low[1, 5:10] = True  # scattered: as many high as low
    high[2, :2] = True  # 5 %: not more than the allowed share
    high[3, :3] = low[3, 3:4] = True  # 10 %, leaning 0.5: kept at the default 0.3
    rejected = mos.bt500_reject(high, low, np.ones(shape, bool), mos.ScreeningConfig())
    assert rejected.tolist() == [False, True, False, False]
    stricter = mos.ScreeningConfig(reject_asymmetry=0.6)
    assert mos.bt500_reject(high, low, np.ones(shape, bool), stricter).tolist() == [False, True, False, True]


def test_outliers_are_judged_against_the_panel():
    rng = np.random.default_rng(0)
    truth = rng.uniform(10, 90, (40, 1))
    scores = np.stack([truth + rng.normal(0, 5, truth.shape) for _ in range(12)] + [truth + 30])
    panel = np.arange(13) < 12
    high, low, tested = mos.outlier_answers(scores, panel, mos.ScreeningConfig())
    assert high[12].sum() > 30 and low[12].sum() == 0 and tested.all()
    assert (high[:12] | low[:12]).mean() < 0.05
    # inside the panel, one far rater makes each video's answers non-normal (kurtosis > 4):
    # BT.500 then widens the bounds to sqrt(20)·S, and nobody is an outlier
    high, low, _ = mos.outlier_answers(scores, np.ones(13, bool), mos.ScreeningConfig())
    assert not high[12].any()


def test_bt500_uses_wider_bounds_for_non_normal_answers():
    cfg = mos.ScreeningConfig()
    # kurtosis of a single far value among agreeing raters is > 4: k = sqrt(20), not 2
    values = np.array([50.0] * 9 + [10.0]).reshape(10, 1, 1)
    high, low, _ = mos.outlier_answers(values, np.ones(10, bool), cfg)
    assert not low.any()
    strict = mos.ScreeningConfig(normal_kurtosis=(0.0, 100.0))
    _, low, _ = mos.outlier_answers(values, np.ones(10, bool), strict)
    assert low[9, 0, 0]


def test_zscores_skip_flat_raters_and_rescale_both_ways():
    scores = np.array([[[90.0], [50.0], [10.0]], [[50.0], [50.0], [50.0]]])
    z, mu, sigma = mos.subject_zscores(scores)
    assert np.allclose(z[0, :, 0], [1, 0, -1]) and np.isnan(z[1]).all()
    accepted = np.array([True, True])
    assert np.allclose(mos.rescale(z, mu, sigma, accepted, "fixed")[0, :, 0], [100 * 4 / 6, 50, 100 * 2 / 6])
    assert np.allclose(mos.rescale(z, mu, sigma, accepted, "panel")[0, :, 0], [90, 50, 10])
    with pytest.raises(ValueError):
        mos.rescale(z, mu, sigma, accepted, "minmax")


def test_ci_is_bt500s_normal_interval():
    values = np.array([40.0, 50.0, 60.0, np.nan]).reshape(4, 1, 1)
    m, ci, n = mos.mos_with_ci(values)
    assert m[0, 0] == 50 and n[0, 0] == 3
    assert ci[0, 0] == pytest.approx(1.96 * 10 / np.sqrt(3))
    _, ci_one, _ = mos.mos_with_ci(values[:1])
    assert np.isnan(ci_one[0, 0])


def test_controls_and_repeats_screen_raters():
    levels = np.zeros((2, 6, 1))
    levels[1] = 4.0
    expected = np.full((6, 1), np.nan)
    expected[:2] = 0
    error, pairs = mos.mean_level_error(levels, expected)
    assert error.tolist() == [0.0, 4.0] and pairs.tolist() == [2, 2]
    ticks = np.zeros((2, 6, len(TYPE_NAMES)), bool)
    result = mos.compute(levels, ticks, expected, cfg=mos.ScreeningConfig(min_videos=1))
    assert "controls" in result.raters.reasons[1][0] and not result.raters.reasons[0]
    repeats = np.full_like(levels, np.nan)
    repeats[:, :3] = levels[:, :3] + np.array([0.0, 3.0])[:, None, None]
    result = mos.compute(levels, ticks, None, repeats, mos.ScreeningConfig(min_videos=1))
    assert "repeats" in result.raters.reasons[1][0]


def test_too_few_videos_and_empty_studies():
    levels = np.full((1, 3, len(DIMENSIONS)), 1.0)
    result = mos.compute(levels, np.zeros((1, 3, len(TYPE_NAMES)), bool))
    assert "only 3 videos" in result.raters.reasons[0][0]
    assert np.isnan(result.mos).all() and np.isnan(result.split_half_srcc).all()
