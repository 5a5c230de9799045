"""`finevq features` and `finevq train`: measure labelled videos once, then fit heads on them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from ..taxonomy import DISTORTION_DIMENSIONS

err = Console(stderr=True)


def default_cache(labels: Path) -> Path:
    return labels.parent / "features.parquet"


def labelled_videos(labels: Path) -> list[tuple[str, str]]:
    """(video as written in the labels, file path): relative paths are relative to the labels file."""
    import pandas as pd

    table = pd.read_csv(labels, usecols=["video"])
    return [(v, str(Path(v) if Path(v).is_absolute() else labels.parent / v)) for v in table["video"].astype(str)]


def ensure_cache(labels: Path, cache: Path, workers: int | None):
    """The features of every labelled video, measuring only those not cached yet."""
    from ..heads.features import build_cache

    videos = labelled_videos(labels)
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err) as bar:
        task = bar.add_task("measuring", total=len(videos))
        table = build_cache(videos, cache, workers=workers, on_progress=lambda done, total: bar.update(task, completed=done, total=total))
    failed = table[table["error"].notna() & table["video"].isin({v for v, _ in videos})]
    for video, error in zip(failed["video"][:10], failed["error"][:10]):
        err.print(f"[yellow]not measured[/] {escape(str(video))}: {escape(str(error))}")
    return table


def features_command(
    labels: Annotated[Path, typer.Argument(help="labels CSV (finevq layout; video paths relative to it)", exists=True, dir_okay=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Parquet cache (default: features.parquet beside the labels)", show_default=False)] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="processes (default: one per CPU)", show_default=False)] = None,
) -> None:
    """Measure every labelled video once (signals + EfficientNet-Lite0 features) into a resumable cache."""
    out = out or default_cache(labels)
    table = ensure_cache(labels, out, workers)
    err.print(f"{out}: {len(table)} videos, {int(table['error'].notna().sum())} not measurable")


def train_command(
    labels: Annotated[Path, typer.Argument(help="labels CSV with the six scores (and distortions) per video", exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="model folder to write")],
    features: Annotated[Path | None, typer.Option(help="features cache (default: features.parquet beside the labels; made if missing)", show_default=False)] = None,
    folds: Annotated[int, typer.Option(min=0, help="k-fold cross-validation by source for the report (0: none)")] = 4,
    groupings: Annotated[int, typer.Option(min=1, help="cross-validate this many times, the sources grouped into folds differently, and report the spread")] = 1,
    pca: Annotated[int, typer.Option(min=0, help="deep-feature principal components (0: signals only)")] = 12,
    alpha: Annotated[float, typer.Option(min=0, help="L2 penalty of the networks")] = 5.0,
    hidden: Annotated[int, typer.Option(min=1, help="hidden units of each network")] = 64,
    ensemble: Annotated[int, typer.Option(min=1, help="networks averaged")] = 5,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    own_inputs: Annotated[str, typer.Option(help="comma-separated dimensions whose networks read only their own signals ('' for none)")] = "temporal",
    own_input_clips: Annotated[Path | None, typer.Option(help="labels CSV of more clips, from other sources, that train only the --own-inputs networks (never held out; features cache beside it)", exists=True, dir_okay=False, show_default=False)] = None,
    version: Annotated[str | None, typer.Option(help="model version string (default: trained-<labels file stem>)", show_default=False)] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="processes for measuring", show_default=False)] = None,
) -> None:
    """Fit the fast assessor's heads on labelled videos: splits by source, cross-validated report, small model folder."""
    from ..heads.train import TrainConfig
    from ..heads.training_report import train_and_report

    own = tuple(d.strip() for d in own_inputs.split(",") if d.strip())
    unknown = [d for d in own if d not in {str(x) for x in DISTORTION_DIMENSIONS}]
    if unknown:
        err.print(f"[red]error:[/] --own-inputs: {', '.join(unknown)} is not one of {', '.join(map(str, DISTORTION_DIMENSIONS))}")
        raise typer.Exit(2)
    cache = ensure_cache(labels, features or default_cache(labels), workers)
    more = (own_input_clips, ensure_cache(own_input_clips, default_cache(own_input_clips), workers)) if own_input_clips else None
    config = TrainConfig(pca=pca, hidden=(hidden,), ensemble=ensemble, alpha=alpha, seed=seed, own_inputs=own)
    try:
        _, report = train_and_report(labels, cache, out, config, folds, version or f"trained-{labels.stem}", groupings, more)
    except ValueError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    Console().print(report)
    err.print(f"model: {out} (use it with --model fast:{out}; report in {out / 'training_report.md'})")
