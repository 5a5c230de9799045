"""Train, cross-validate by source and write the model folder with its training report.

The report compares the learned heads with the monotone heads they replace on the same
held-out clips (each clip predicted by learned heads that never saw its source), so a
model folder always says whether it beats what came before.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Group
from rich.text import Text

from ..evaluation import EvaluationReport, evaluate, read_references
from ..schema import Assessment, ModelInfo
from ..synth.labels import clean_score, pooling_exponent
from ..taxonomy import DIMENSIONS
from .learned import LearnedHeads, ship_scores
from .model import Heads, load_default_heads
from .train import Dataset, TrainConfig, choose_blend, choose_pool_share, cross_validate, fit, load_dataset, with_own_input_clips


def _learned_assessments(data: Dataset, scores: np.ndarray, probabilities: np.ndarray) -> list[Assessment]:
    from ..assessors.fast import Judgement

    model = ModelInfo(name="finevq-fast", version="cross-validated")
    return [
        Judgement.of(scores[i], dict(zip(data.type_names, probabilities[i]))).assessment(video, model)
        for i, video in enumerate(data.videos)
    ]


def _monotone_assessments(data: Dataset, heads: Heads) -> list[Assessment]:
    from ..assessors.fast import Judgement

    model = ModelInfo(name="finevq-fast", version=f"heads.{heads.version}")
    out = []
    for video, row in zip(data.videos, data.signals):
        p = heads.predict({n: v for n, v in zip(data.signal_names, row) if np.isfinite(v)})
        out.append(Judgement(p.scores, p.distortions).assessment(video, model))
    return out


def _markdown(version: str, data: Dataset, folds: int, learned: EvaluationReport | None, monotone: EvaluationReport | None,
              dropped: list[str], config: TrainConfig, blend: np.ndarray, pool: dict) -> str:
    lines = [f"# Training report: {version}", "",
             f"{len(data.videos)} clips from {len(set(data.groups))} sources; config {config}.", ""]
    more = data.own_input_clips
    if more is not None:
        lines += [f"Plus {len(more.videos)} clips from {len(set(more.groups))} other sources ({', '.join(sorted(set(more.groups)))}) that train",
                  f"only the {', '.join(config.own_inputs)} networks: in every fit, never held out, in none of the numbers below.", ""]
    if dropped:
        lines += [f"{len(dropped)} labelled videos left out (not measurable): " + "; ".join(dropped[:5]), ""]
    if learned is None or monotone is None:
        return "\n".join(lines + ["No cross-validation was run (--folds 0).", ""])
    lines += [f"## Held-out sources ({folds}-fold cross-validation by source)", "",
              "Every clip is scored by learned heads that never saw its source. 'monotone' is the uncalibrated",
              "per-type heads shipped before (its calibration footage overlaps these sources, which favours it).",
              "'learned' is the shipped blend: per dimension, the network's share of the score is chosen on these",
              "held-out predictions (shares: " + ", ".join(f"{d} {b:.1f}" for d, b in zip(map(str, DIMENSIONS), blend)) + "),",
              f"and {pool['share']:.1f} of overall is the pooled predicted dimensions (finevq.pooling, p = {pool['p']:g}), the",
              "rest the network's own overall: the best-ranking share among those that put overall no further",
              "below the worst dimension than the labels do (train.choose_pool_share); both choices make its",
              "numbers slightly optimistic.", "",
              "Distortion dimensions are measured within their clips (the clean ones and those distorted in",
              "that dimension): every other clip ties at the clean score, and ties cap SRCC far below 1 for",
              "any model; the all-clips SRCC is given too. Overall uses all clips.", "",
              "| dimension | clips | SRCC learned [95% CI] | SRCC monotone | PLCC learned | PLCC monotone | KRCC learned | RMSE learned | SRCC all clips learned / monotone | level accuracy learned / monotone |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for dim in DIMENSIONS:
        a = learned.correlation_within.get(dim, learned.correlation.get(dim))
        b = monotone.correlation_within.get(dim, monotone.correlation.get(dim))
        if a is None or not a.available:
            continue
        lines.append(
            f"| {dim} | {a.n} | {_num(a.srcc)} [{_num(a.srcc, 'low')}, {_num(a.srcc, 'high')}] | {_num(b.srcc)} | {_num(a.plcc)} | {_num(b.plcc)} "
            f"| {_num(a.krcc)} | {_num(a.rmse, spec='.1f')} | {_num(learned.correlation[dim].srcc)} / {_num(monotone.correlation[dim].srcc)} "
            f"| {_pct(learned.rating[dim].accuracy)} / {_pct(monotone.rating[dim].accuracy)} |"
        )
    lines += ["", "| attribution | learned | monotone |", "|---|---|---|"]
    for dim in learned.presence:
        lines.append(f"| is there any {dim} distortion (accuracy) | {_pct(learned.presence[dim].accuracy)} | {_pct(monotone.presence[dim].accuracy)} |")
    lines.append(f"| which distortion type (pooled) | {_pct(learned.which_type_pooled.accuracy)} | {_pct(monotone.which_type_pooled.accuracy)} |")
    lines.append(f"| which dimension is most degraded (all) | {_pct(learned.impact.accuracy)} | {_pct(monotone.impact.accuracy)} |")
    lines.append(f"| which dimension is most degraded (strongest level ≥ 3) | {_pct(learned.impact_strong.accuracy)} of {learned.impact_strong.total} | {_pct(monotone.impact_strong.accuracy)} |")
    return "\n".join(lines) + "\n"


def _num(estimate, field: str = "value", spec: str = ".3f") -> str:
    """Statistics can be undefined (constant predictions); the table says so instead of failing."""
    value = getattr(estimate, field, None) if estimate is not None else None
    return "-" if value is None or not np.isfinite(value) else format(value, spec)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _grouping_summary(report: EvaluationReport) -> dict[str, float | None]:
    """What the groupings table shows of one cross-validation: SRCC per dimension (within its
    clips, as in the main table) and "most degraded" accuracy on strongly distorted clips."""
    out: dict[str, float | None] = {}
    for dim in DIMENSIONS:
        metrics = report.correlation_within.get(dim, report.correlation.get(dim))
        value = metrics.srcc.value if metrics is not None and metrics.available and metrics.srcc is not None else None
        out[str(dim)] = value if value is not None and np.isfinite(value) else None
    out["most_degraded_strong"] = report.impact_strong.accuracy
    return out


def _groupings_markdown(summaries: list[dict[str, float | None]]) -> str:
    n = len(summaries)
    lines = ["", f"## How much the grouping of sources matters ({n} groupings)", "",
             "The same training cross-validated again with the sources grouped into folds differently",
             "(grouping 1 is the table above; blend and pooling as chosen there, networks seeded alike).",
             "Which sources are held out together moves the numbers by this much, beyond the bootstrap",
             "intervals over clips: two trainings that differ by less than this range differ by no more",
             "than regrouping alone does.", "",
             "| | " + " | ".join(f"grouping {i + 1}" for i in range(n)) + " | mean | range |",
             "|---|" + "---|" * (n + 2)]
    for key in [*map(str, DIMENSIONS), "most_degraded_strong"]:
        values = [s[key] for s in summaries]
        known = [v for v in values if v is not None]
        pct = key == "most_degraded_strong"
        show = (lambda v: "-" if v is None else f"{v:.1%}") if pct else (lambda v: "-" if v is None else f"{v:.3f}")
        label = "most degraded (level ≥ 3)" if pct else f"{key} SRCC"
        spread = f"{show(min(known))} – {show(max(known))}" if known else "-"
        lines.append(f"| {label} | " + " | ".join(show(v) for v in values) + f" | {show(float(np.mean(known)) if known else None)} | {spread} |")
    return "\n".join(lines) + "\n"


def train_and_report(labels_path: Path, cache: pd.DataFrame, out: Path, config: TrainConfig, folds: int, version: str,
                     groupings: int = 1, own_input_clips: tuple[Path, pd.DataFrame] | None = None) -> tuple[LearnedHeads, Group]:
    """`groupings` > 1 cross-validates that many times, the sources grouped into folds
    differently each time, and reports the spread (the shipped choices come from the first).
    `own_input_clips` (labels file, its features cache): clips that train only the
    own-input networks (`train.with_own_input_clips`)."""
    labels = pd.read_csv(labels_path)
    data, dropped = load_dataset(labels, cache)
    if len(data.videos) < 10:
        raise ValueError(f"only {len(data.videos)} measurable labelled videos; training needs at least 10")
    if own_input_clips is not None:
        more, more_dropped = load_dataset(pd.read_csv(own_input_clips[0]), own_input_clips[1])
        data = with_own_input_clips(data, more, config)
        dropped += more_dropped
    monotone = load_default_heads()
    learned_report = monotone_report = None
    summaries: list[dict[str, float | None]] = []
    blend = np.ones(len(DIMENSIONS))
    pool = {"clean": clean_score(), "p": pooling_exponent(), "share": 0.0}
    if folds >= 2:
        scores, probabilities = cross_validate(data, monotone, config, folds)
        monotone_assessments = _monotone_assessments(data, monotone)
        monotone_scores = np.array([[a.score(d) for d in DIMENSIONS] for a in monotone_assessments])
        blend = choose_blend(data, scores, monotone_scores)
        blended = ship_scores(scores, monotone_scores, blend, {})
        pool["share"] = choose_pool_share(data, blended, pool)
        shipped = ship_scores(blended, None, np.ones(len(DIMENSIONS)), pool)
        references = [r for r in read_references(labels_path) if r.video in set(data.videos)]
        learned_report = evaluate(references, _learned_assessments(data, shipped, probabilities), bootstrap=1000, seed=config.seed)
        monotone_report = evaluate(references, monotone_assessments, bootstrap=0, seed=config.seed)
        summaries = [_grouping_summary(learned_report)]
        for grouping in range(1, groupings):
            more, more_probabilities = cross_validate(data, monotone, config, folds, grouping)
            again = ship_scores(ship_scores(more, monotone_scores, blend, {}), None, np.ones(len(DIMENSIONS)), pool)
            summaries.append(_grouping_summary(evaluate(references, _learned_assessments(data, again, more_probabilities), bootstrap=0, seed=config.seed)))
    heads = fit(data, monotone, config, version=version)
    heads.blend, heads.overall_pool = blend, pool
    if learned_report is not None:
        heads.report["cross_validation"] = {
            "folds": folds,
            "blend": dict(zip(map(str, DIMENSIONS), blend.tolist())),
            "overall_pool_share": pool["share"],
            "learned": learned_report.model_dump(mode="json"),
            "monotone": monotone_report.model_dump(mode="json"),
            "groupings": summaries,
        }
    heads.save(out)
    markdown = _markdown(version, data, folds, learned_report, monotone_report, dropped, config, blend, pool)
    if len(summaries) > 1:
        markdown += _groupings_markdown(summaries)
    (out / "training_report.md").write_text(markdown)
    if learned_report is not None:
        learned_report.save_scatter(out / "scatter")
        return heads, Group(Text(f"held-out sources, {folds}-fold cross-validation:", style="bold"), learned_report)
    return heads, Group(Text(markdown))
