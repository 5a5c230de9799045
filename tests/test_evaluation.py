"""Evaluation against labels: correlations checked against scipy, accuracies on videos with known answers."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import curve_fit

from finevq.evaluation import GOOD, Reference, correlate, evaluate, fit_mapping, read_references
from finevq.instruct import LabelsError, read_labels
from finevq.schema import Assessment, DetectedDistortion, ModelInfo, dimension_result
from finevq.taxonomy import DIMENSIONS, Dimension

MODEL = ModelInfo(name="test", version="0")
# predicted (first) and human (second) scores of twelve videos: an S-shaped relation with
# noise, so the logistic is the better mapping and PLCC differs from the raw correlation
PREDICTED = [12.0, 20.0, 31.0, 38.0, 45.0, 52.0, 58.0, 63.0, 71.0, 80.0, 86.0, 93.0]
HUMAN = [15.0, 22.0, 18.0, 33.0, 40.0, 58.0, 52.0, 72.0, 76.0, 85.0, 82.0, 88.0]


def assessment(video: str, scores: dict | None = None, found: dict | None = None, impact: Dimension | None = None) -> Assessment:
    """found: dimension -> [(type, severity, confidence)], listed in that order."""
    scores, found = scores or {}, found or {}
    return Assessment(
        video=video,
        model=MODEL,
        dimensions={
            d: dimension_result(d, scores.get(d, 50.0), [DetectedDistortion(type=t, severity=s, confidence=c) for t, s, c in found.get(d, [])])
            for d in DIMENSIONS
        },
        most_impactful=impact,
    )


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def vqeg(x, b1, b2, b3, b4):
    return (b1 - b2) / (1 + np.exp(-(x - b3) / np.abs(b4))) + b2


def test_correlations_match_scipy_on_a_labels_file(tmp_path):
    rng = np.random.default_rng(3)
    offsets = {d: rng.normal(0, 6, len(HUMAN)) for d in DIMENSIONS}
    human = {d: np.clip(np.array(HUMAN) + (0 if d is Dimension.OVERALL else offsets[d]), 0, 100).round(2) for d in DIMENSIONS}
    videos = [f"clips/v{i:02d}.mp4" for i in range(len(HUMAN))]
    labels = write_csv(tmp_path / "labels.csv", ["video", *map(str, DIMENSIONS)],
                       [[v, *(human[d][i] for d in DIMENSIONS)] for i, v in enumerate(videos)])
    assessments = [assessment(v, {d: PREDICTED[i] for d in DIMENSIONS}) for i, v in enumerate(videos)]

    report = evaluate(read_references(labels), assessments, bootstrap=0)

    x = np.array(PREDICTED)
    for dim in DIMENSIONS:
        y = human[dim]
        params, _ = curve_fit(vqeg, x, y, p0=[y.max(), y.min(), x.mean(), x.std()], maxfev=10000)
        mapped = vqeg(x, *params)
        m = report.correlation[dim]
        assert m.n == len(videos)
        assert m.srcc.value == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
        assert m.krcc.value == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)
        assert m.fit.kind == "logistic"
        assert m.plcc.value == pytest.approx(stats.pearsonr(mapped, y).statistic, abs=1e-6)
        assert m.plcc.value != pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-3)  # the fit mattered
        assert m.rmse.value == pytest.approx(np.sqrt(np.mean((mapped - y) ** 2)), abs=1e-4)


def test_logistic_falls_back_to_a_line_when_it_cannot_fit():
    assert fit_mapping([10, 50, 90], [20, 40, 70]).kind == "linear"  # three points, four parameters
    flat = correlate([50.0] * 5, [10, 30, 50, 70, 90], bootstrap=50)
    assert flat.available and flat.fit.kind == "linear"
    assert np.isnan(flat.srcc.value) and np.isnan(flat.plcc.value)


def test_bootstrap_interval_holds_the_estimate_and_repeats_with_its_seed():
    rng = np.random.default_rng(0)
    truth = rng.uniform(0, 100, 80)
    predicted = truth * 0.6 + 20 + rng.normal(0, 12, 80)
    first = correlate(predicted, truth, bootstrap=300, seed=7)
    again = correlate(predicted, truth, bootstrap=300, seed=7)
    other = correlate(predicted, truth, bootstrap=300, seed=8)
    assert first == again
    assert first.srcc.low != other.srcc.low
    for name in ("srcc", "krcc", "plcc", "rmse"):
        e = getattr(first, name)
        assert e.low < e.value < e.high, name


def test_too_few_labelled_videos_make_a_dimension_unavailable(tmp_path):
    labels = write_csv(tmp_path / "labels.csv", ["video", "overall", "blur"],
                       [["a.mp4", 80, 70], ["b.mp4", 60, ""], ["c.mp4", 40, ""], ["d.mp4", 20, 35]])
    refs = read_references(labels)
    assert refs[1].scores == {Dimension.OVERALL: 60.0}
    report = evaluate(refs, [assessment(r.video, {Dimension.OVERALL: 90 - 20 * i}) for i, r in enumerate(refs)], bootstrap=20)
    assert set(report.correlation) == {Dimension.OVERALL, Dimension.BLUR}
    assert report.correlation[Dimension.OVERALL].available
    blur = report.correlation[Dimension.BLUR]
    assert not blur.available and blur.n == 2 and blur.srcc is None
    assert "at least 3" in blur.unavailable


def test_rating_accuracy_compares_levels():
    truths = [85.0, 65.0, 45.0, 80.0]
    guesses = [90.0, 50.0, 41.0, 79.9]  # right, one level low, right, just below the band
    refs = [Reference(video=f"{i}.mp4", scores={Dimension.OVERALL: t}) for i, t in enumerate(truths)]
    report = evaluate(refs, [assessment(f"{i}.mp4", {Dimension.OVERALL: g}) for i, g in enumerate(guesses)], bootstrap=0)
    assert set(report.rating) == {Dimension.OVERALL}
    assert (report.rating[Dimension.OVERALL].correct, report.rating[Dimension.OVERALL].total) == (2, 4)


def _attribution_case(tmp_path):
    labels = write_csv(tmp_path / "labels.csv", ["video", "overall", "distortion_levels", "most_impactful"], [
        ["v1.mp4", 40, "gaussian noise:4;motion blur:2", "noise"],
        ["v2.mp4", 90, "", "none"],
        ["v3.mp4", 50, "over dark:3;color cast:3", "color"],
        ["v4.mp4", 70, "compression artifact:1;sqaure artifact:2", "artifact"],
        ["v5.mp4", 20, "motion blur:5", "blur"],
        ["v6.mp4", 60, "", ""],
        ["v7.mp4", 60, "", ""],
    ])
    C, N, A, B = Dimension.COLOR, Dimension.NOISE, Dimension.ARTIFACT, Dimension.BLUR
    predictions = [
        assessment("v1.mp4", found={N: [("gaussian noise", "severe", 0.9)]}, impact=N),
        assessment("v2.mp4", found={C: [("over dark", "slight", 0.4)]}),
        assessment("v3.mp4", found={C: [("color cast", "strong", 0.6), ("over dark", "mild", 0.9)]}, impact=B),
        assessment("v4.mp4", found={A: [("compression artifact", "severe", 0.5), ("square artifact", "severe", 0.9)]}, impact=A),
        assessment("./v5.mp4"),
        Assessment.failure("v7.mp4", MODEL, "truncated", "ends early"),
        assessment("elsewhere.mp4"),
    ]
    return read_references(labels), predictions


def test_attribution_questions_on_known_answers(tmp_path):
    refs, predictions = _attribution_case(tmp_path)
    assert refs[3].distortions == {"square artifact": 2, "compression artifact": 1}
    assert refs[5].most_impactful is None and refs[1].most_impactful == GOOD
    report = evaluate(refs, predictions, bootstrap=0)

    yes_no = {d.value: (c.true_yes, c.false_yes, c.false_no, c.true_no) for d, c in report.presence.items()}
    assert yes_no == {"color": (1, 1, 0, 3), "noise": (1, 0, 0, 4), "artifact": (1, 0, 0, 4),
                      "blur": (0, 0, 2, 3), "temporal": (0, 0, 0, 5)}
    color, blur, temporal = (report.presence[d] for d in (Dimension.COLOR, Dimension.BLUR, Dimension.TEMPORAL))
    assert (color.accuracy, color.precision, color.recall) == (0.8, 0.5, 1.0)
    assert (blur.accuracy, blur.precision, blur.recall) == (0.6, None, 0.0)
    assert (temporal.precision, temporal.recall) == (None, None)

    which = {d.value: (r.correct, r.total) for d, r in report.which_type.items()}
    assert which == {"color": (1, 1), "noise": (1, 1), "artifact": (1, 1), "blur": (0, 2)}
    assert (report.which_type_pooled.correct, report.which_type_pooled.total) == (3, 5)
    # v1 right, v2 right ("quality is good"), v3 wrong, v4 right, v5 wrong; v6 has no answer
    assert (report.impact.correct, report.impact.total) == (3, 5)
    # level 3 or above: v1 (4) right, v3 (3) wrong, v5 (5) wrong
    assert (report.impact_strong.correct, report.impact_strong.total) == (1, 3)


def test_missing_and_failed_predictions_are_counted_not_fatal(tmp_path):
    refs, predictions = _attribution_case(tmp_path)
    report = evaluate(refs, predictions, bootstrap=0)
    assert (report.references, report.evaluated) == (7, 5)
    assert report.missing == ["v6.mp4"]
    assert [(f.video, f.code) for f in report.failed] == [("v7.mp4", "truncated")]
    assert report.unreferenced == ["elsewhere.mp4"]
    retried = evaluate(refs, [*predictions, assessment("v7.mp4")], bootstrap=0)
    assert retried.failed == [] and retried.evaluated == 6
    with pytest.raises(ValueError, match="twice"):
        evaluate([*refs, refs[0]], predictions)


def test_report_json_screen_view_and_scatter_plots(tmp_path):
    refs = [Reference(video=f"{i}.mp4", scores={Dimension.OVERALL: h, Dimension.BLUR: 100 - h}) for i, h in enumerate(HUMAN)]
    refs.append(Reference(video="gone.mp4", scores={Dimension.OVERALL: 50.0}))
    predictions = [assessment(f"{i}.mp4", {Dimension.OVERALL: p, Dimension.BLUR: 50.0}) for i, p in enumerate(PREDICTED)]
    report = evaluate(refs, predictions, bootstrap=100)

    data = json.loads(report.to_json())
    assert data["correlation"]["overall"]["srcc"]["low"] is not None
    assert data["correlation"]["blur"]["plcc"]["value"] is None  # constant predictions: no correlation, null not NaN
    assert data["rating"]["overall"]["accuracy"] is not None and "points" not in data

    from rich.console import Console

    console = Console(width=140, record=True)
    console.print(report)
    screen = console.export_text()
    assert "SRCC" in screen and "overall" in screen and "1 without a prediction: gone.mp4" in screen

    written = report.save_scatter(tmp_path / "plots")
    assert [p.name for p in written] == ["scatter_blur.png", "scatter_overall.png"]  # taxonomy order
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000


def test_full_labels_rows_read_as_instruct_reads_them(tmp_path):
    header = ["video", *map(str, DIMENSIONS), "distortions"]
    labels = write_csv(tmp_path / "labels.csv", header, [
        ["a.mp4", 70, 90, 35, 85, 88, 40, "compression artifact"],
        ["b.mp4", 90, 90, 90, 90, 90, 90, ""],
    ])
    refs, facts = read_references(labels), read_labels(labels)
    assert [r.most_impactful for r in refs] == [facts[0].most_impactful, GOOD] == [Dimension.ARTIFACT, GOOD]
    assert refs[0].distortions == {"compression artifact": None}
    bad = write_csv(tmp_path / "bad.csv", ["video", "overall"], [["a.mp4", 120]])
    with pytest.raises(LabelsError, match="row 2"):
        read_references(bad)
    empty = write_csv(tmp_path / "empty.csv", ["video", "notes"], [["a.mp4", "x"]])
    with pytest.raises(LabelsError, match="nothing|no scores"):
        read_references(empty)
