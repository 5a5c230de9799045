"""`finevq evaluate`: score labelled videos with a model and measure it against the labels."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

err = Console(stderr=True)


def _assess_all(references, model: str, workers: int | None):
    """Run the model on every referenced video in supervised workers (a bad file costs one row)."""
    import os

    from ..batch.inputs import Job
    from ..batch.pool import AssessorFactory, WorkerPool

    jobs = [Job(path=r.video, key=r.video) for r in references]
    out = []
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err) as bar:
        task = bar.add_task("assessing", total=len(jobs))
        with WorkerPool(AssessorFactory(model), workers or os.cpu_count() or 1, timeout=600) as pool:
            for outcome in pool.run(jobs):
                out.append(outcome.assessment)
                bar.advance(task)
    return out


def _from_cache(references, labels: Path, cache_path: Path, model: str, workers: int | None):
    """Learned heads rescore cached features: the same numbers as assessing the files, in seconds."""
    import numpy as np

    from ..assessors import ModelError, create_assessor
    from .training import ensure_cache
    from ..heads.features import matrices
    from ..schema import Assessment, ErrorInfo

    try:
        assessor = create_assessor(model)
    except ModelError as error:
        err.print(f"[red]error:[/] {escape(str(error))}")
        raise typer.Exit(2) from None
    learned = getattr(assessor, "learned", None)
    if learned is None:
        raise typer.BadParameter("--features needs a model with learned heads (the monotone heads pool per frame, which the cache does not keep)")
    table = ensure_cache(labels, cache_path, workers)
    errors = table.set_index("video")["error"].dropna().to_dict()
    cached = set(table["video"])
    measured = [r.video for r in references if r.video in cached and r.video not in errors]
    signals, deep, names = matrices(table, measured)
    row = {video: i for i, video in enumerate(measured)}
    out = []
    for ref in references:
        if ref.video not in row:
            code, _, message = errors.get(ref.video, "internal: not measured").partition(": ")
            out.append(Assessment(video=ref.video, model=assessor.model_info, error=ErrorInfo(code=code, message=message or code)))
            continue
        i = row[ref.video]
        verdict = assessor.judge(dict(zip(names, signals[i])), None if deep.shape[1] == 0 or np.isnan(deep[i]).any() else deep[i])
        out.append(verdict.assessment(ref.video, assessor.model_info))
    return out


def evaluate_command(
    labels: Annotated[Path | None, typer.Argument(help="labels CSV (finevq layout); or use --dataset", show_default=False)] = None,
    dataset: Annotated[str | None, typer.Option(help="a known dataset: konvid1k, livevqc, youtube_ugc, lsvq, finevd", show_default=False)] = None,
    root: Annotated[Path | None, typer.Option(help="--dataset: folder holding its videos", show_default=False)] = None,
    dataset_labels: Annotated[Path | None, typer.Option("--dataset-labels", help="--dataset: its label file (default: looked up in the root)", show_default=False)] = None,
    model: Annotated[str, typer.Option(help="'fast', 'fast:MODEL_DIR' or 'lmm:MODEL_DIR'")] = "fast",
    features: Annotated[Path | None, typer.Option(help="score from this features cache (learned fast models; made or completed as needed)", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="folder for report.json, predictions.jsonl and scatter PNGs", show_default=False)] = None,
    bootstrap: Annotated[int, typer.Option(min=0, help="bootstrap resamples for the 95% intervals")] = 1000,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 0,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="processes (default: one per CPU)", show_default=False)] = None,
) -> None:
    """SRCC, KRCC, PLCC (after the VQEG logistic), RMSE with bootstrap intervals, rating and attribution accuracy."""
    from ..evaluation import DatasetError, evaluate, load_dataset, read_references
    from ..instruct.labels import LabelsError

    if (labels is None) == (dataset is None):
        err.print("[red]error:[/] give a labels CSV or --dataset NAME --root DIR (one of them)")
        raise typer.Exit(2)
    try:
        if dataset is not None:
            if root is None:
                raise DatasetError("--dataset needs --root, the folder with its videos")
            references = load_dataset(dataset, root, dataset_labels)
        else:
            references = read_references(labels)
            base = labels.parent
            references = [r if Path(r.video).is_absolute() else replace(r, video=str(base / r.video)) for r in references]
    except (DatasetError, LabelsError, ValueError, OSError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    if features is not None:
        if labels is None:
            err.print("[red]error:[/] --features works with a labels CSV")
            raise typer.Exit(2)
        relative = read_references(labels)
        assessments = _from_cache(relative, labels, features, model, workers)
        references = relative
    else:
        assessments = _assess_all(references, model, workers)
    report = evaluate(references, assessments, bootstrap=bootstrap, seed=seed)
    Console().print(report)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(report.to_json(indent=1) + "\n")
        (out / "predictions.jsonl").write_text("".join(a.to_json() + "\n" for a in assessments))
        report.save_scatter(out)
        err.print(f"report: {out / 'report.json'}, plots: {out}")
    if report.failed or report.missing:
        raise typer.Exit(1)
