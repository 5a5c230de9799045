"""`finevq synth`: the command around `finevq.synth.benchmark`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn


def synth_command(
    sources: Annotated[list[str], typer.Argument(help="clean footage: video files, folders of videos, or procedural:SEED", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder: clips/ and labels.csv")],
    types: Annotated[list[str] | None, typer.Option("--type", "-t", help="only these distortions (registry names, repeatable); default all", show_default=False)] = None,
    pairs: Annotated[int, typer.Option(min=0, help="random two-dimension mixes per source")] = 12,
    within: Annotated[list[str] | None, typer.Option("--within", help="DIMENSION=N: N random mixes of two of that dimension's types per source (repeatable)", show_default=False)] = None,
    seconds: Annotated[float, typer.Option(min=0.5, help="clip length")] = 3.0,
    fps: Annotated[float, typer.Option(min=1, help="clip frame rate")] = 24.0,
    max_side: Annotated[int, typer.Option(min=32, help="longest side of the clips (sources are scaled down, never up)")] = 640,
    seed: Annotated[int, typer.Option(help="random seed: same sources and seed, same clips and labels")] = 0,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="processes (default: one per CPU)", show_default=False)] = None,
) -> None:
    """Distort clean footage with every synthesisable FineVD distortion at five levels (and pairs
    of them), and label each clip with human-grounded scores. Re-running resumes."""
    from ..synth.benchmark import Settings, build, plan, resolve_sources

    console = Console(stderr=True)
    try:
        mixes = _within_counts(within or [])
        found = resolve_sources(sources)
        planned = len(plan(found, types=types, pairs=pairs, seed=seed, within=mixes))
    except (FileNotFoundError, ValueError, KeyError) as exc:
        console.print(f"[red]error:[/] {escape(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))}")
        raise typer.Exit(2) from None
    if not found:
        console.print("[red]error:[/] no video found in the sources")
        raise typer.Exit(2)
    console.print(f"{len(found)} source(s), {planned} clips → {out}")
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("making clips", total=planned)
        labels, errors = build(
            found, out, Settings(seconds=seconds, fps=fps, max_side=max_side, seed=seed),
            types=types, pairs=pairs, within=mixes, workers=workers, on_progress=lambda done, total: bar.update(task, completed=done),
        )
    for name, error in sorted(errors.items())[:20]:
        console.print(f"[red]failed[/] {escape(name)}: {escape(error)}")
    console.print(f"labels: {labels} ({planned - len(errors)} clips, {len(errors)} failed)")
    if errors:
        raise typer.Exit(1)


def _within_counts(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        dim, _, count = item.partition("=")
        if not count.strip().isdigit():
            raise ValueError(f"--within {item!r}: write DIMENSION=N, e.g. temporal=24")
        counts[dim.strip()] = int(count)
    return counts
