"""The `finevq` command: parse, call the library, print. No assessment logic lives here."""

from __future__ import annotations

import gc
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

# Before numpy and OpenCV load (each bundles an OpenBLAS): the threads an OpenBLAS starts
# spin for a while, and OpenCV's spent ~0.09 s of a core after its import, during the
# start-up the decode waits on; finevq's own matrix products are the heads' one-row ones.
# Single-threaded BLAS also keeps `finevq train`'s sums in one order. An explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer  # noqa: E402
from rich.console import Console  # noqa: E402

_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Fine-grained video quality assessment.")
err = Console(stderr=True)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


@_app.command()
def assess(
    videos: Annotated[list[str], typer.Argument(help="video files, folders, CSV/JSONL manifests (a 'video' or 'path' column), or - for stdin", show_default=False)],
    format: Annotated[OutputFormat | None, typer.Option("--format", "-f", help="plain files: table (default), json (one array) or jsonl")] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="write results here instead of stdout; a batch writes .jsonl, .parquet or a folder and resumes it")] = None,
    model: Annotated[str, typer.Option(help="assessor: 'fast', 'fast:HEADS_DIR' or 'lmm:MODEL_DIR'")] = "fast",
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="batch: worker processes (Ray: actors); default one per CPU", show_default=False)] = None,
    engine: Annotated[str | None, typer.Option(help="batch: 'local' (default) or 'ray'", show_default=False)] = None,
    address: Annotated[str | None, typer.Option(help="batch: Ray cluster to join, e.g. 'auto' (needs --engine ray)", show_default=False)] = None,
    include: Annotated[list[str] | None, typer.Option(help="batch: file-name glob for folders, repeatable (default: common video suffixes)", show_default=False)] = None,
    timeout: Annotated[float | None, typer.Option(min=0, help="batch: seconds per video before it is recorded as 'timeout' (default 600; 0: none)", show_default=False)] = None,
    max_memory: Annotated[str | None, typer.Option(help="batch: memory cap per worker, e.g. 4G; above it a video is recorded as 'too_large'", show_default=False)] = None,
    hash: Annotated[bool, typer.Option("--hash", help="batch: recognise done videos by content hash instead of size and mtime")] = False,
) -> None:
    """Assess videos on six dimensions. Exits 1 if any video failed (after assessing the rest).

    Folders, manifests, stdin, a .parquet or folder output, or any batch option start a
    batch: parallel, resumable (re-run the same command to continue), summarized at the end.
    """
    from .batch.request import is_batch

    batch_options = any(v is not None for v in (workers, engine, address, include, timeout, max_memory)) or hash
    if is_batch(videos, output, batch_options):
        if format is not None:
            err.print("[red]error:[/] --format is for plain files; a batch's format follows --output (.jsonl, .parquet or a folder)")
            raise typer.Exit(2)
        from .batch.command import run_command

        raise typer.Exit(run_command(videos, output, model, workers, engine or "local", address, include or (), timeout, max_memory, hash, err))

    from rich.markup import escape

    from .assessors import ModelError, create_assessor
    from .render import assessment_panel

    format = format or OutputFormat.table
    try:
        assessor = create_assessor(model)
    except ModelError as error:
        err.print(f"[red]error:[/] {escape(str(error))}")
        raise typer.Exit(2) from None
    # What is alive now (modules, the heads' weights) lives as long as the process: moved out of
    # the collector's reach, the collections the decode loop's many small objects trigger stop
    # walking it (~0.07 s of CPU on a 10 s 1080p clip)
    gc.freeze()
    out = open(output, "w") if output else sys.stdout
    console = Console(file=out) if output else Console()
    failed = 0
    results = []
    try:
        for video in videos:
            result = assessor.assess(Path(video))
            failed += not result.ok
            if format is OutputFormat.jsonl:
                out.write(result.to_json() + "\n")
                out.flush()
            elif format is OutputFormat.json:
                results.append(result)
            else:
                console.print(assessment_panel(result))
        if format is OutputFormat.json:
            payload = results[0].to_json(indent=2) if len(results) == 1 else "[" + ",\n".join(r.to_json(indent=2) for r in results) + "]"
            out.write(payload + "\n")
    finally:
        if output:
            out.close()
    if failed:
        err.print(f"[red]{failed} of {len(videos)} video(s) could not be assessed[/]")
        raise typer.Exit(1)


@_app.command()
def summarize(
    results: Annotated[Path, typer.Argument(help="a batch output: .parquet, .jsonl or a folder of Parquet parts", show_default=False)],
    worst: Annotated[int, typer.Option(min=0, help="how many of the worst videos to list")] = 10,
) -> None:
    """Per-dimension score distributions, the worst videos and error counts of a batch's results."""
    from .batch import StoreError, read_results, summarize as summary_of

    from rich.markup import escape

    try:
        frame = read_results(results)
    except StoreError as error:
        err.print(f"[red]error:[/] {escape(str(error))}")
        raise typer.Exit(2) from None
    Console().print(summary_of(frame, worst))


@_app.command()
def schema() -> None:
    """Print the JSON Schema of the result."""
    from .schema import json_schema

    print(json_schema())


@_app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="where to write the example clips")] = Path("finevq-demo"),
) -> None:
    """Make a few short example clips with known distortions and assess them."""
    from .assessors import create_assessor
    from .render import assessment_panel
    from .synth.video import make_test_video

    directory.mkdir(parents=True, exist_ok=True)
    examples = [("clean", None, 0), ("blurred", "gaussian_blur", 4), ("noisy", "gaussian_noise", 4), ("stalling", "stalling", 4)]
    assessor = create_assessor("fast")
    console = Console()
    for name, distortion, level in examples:
        path = make_test_video(directory / f"{name}.mp4", distortion=distortion, level=level, width=640, height=360, seconds=4.0)
        label = f"{distortion} level {level}" if distortion else "no distortion"
        console.print(f"[bold]{path}[/] — made with {label}")
        console.print(assessment_panel(assessor.assess(path)))


#: Commands defined in this module: running one of them imports none of the other subsystems.
_OWN_COMMANDS = {"assess", "summarize", "schema", "demo"}
_mounted = False


def _mount() -> None:
    """Commands of the other subsystems; each module keeps its own options and help."""
    global _mounted
    if _mounted:
        return
    _mounted = True
    from .instruct.cli import ask_command, evaluate_text_command, instruct_command

    _app.command("instruct")(instruct_command)
    _app.command("ask")(ask_command)
    _app.command("evaluate-text")(evaluate_text_command)

    from .commands.synth import synth_command

    _app.command("synth")(synth_command)

    from .commands.training import features_command, train_command

    _app.command("features")(features_command)
    _app.command("train")(train_command)

    from .commands.evaluate import evaluate_command

    _app.command("evaluate")(evaluate_command)

    from .lmm.cli import app as lmm_app
    from .serve.cli import report_command, serve_command
    from .study.cli import app as study_app

    _app.command("serve")(serve_command)
    _app.command("report")(report_command)

    _app.add_typer(study_app, name="study", help="Collect fine-grained human ratings and turn them into MOS.")
    _app.add_typer(lmm_app, name="lmm", help="The LMM assessor: compose, train, merge (needs the 'lmm' extra).")


def __getattr__(name: str):
    """`finevq.cli.app`: the whole command tree, as tests and embedding code expect it."""
    if name == "app":
        _mount()
        return _app
    raise AttributeError(name)


def main() -> None:
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    if command not in _OWN_COMMANDS:
        _mount()
    _app()


if __name__ == "__main__":
    main()
