"""`finevq study ...`: create a study, add videos, serve the rating page, compute MOS.

The main CLI mounts `app` as its `study` sub-command; the web server's dependencies are
imported only by `serve`, so the other commands work without them.
"""

from __future__ import annotations

import random
from pathlib import Path

import typer
from rich.console import Console

from .labels import analyse, write_labels
from .media import Skipped, check, collect
from .mos import ScreeningConfig
from .protocol import Reference, read_references
from .report import render
from .store import Store

app = typer.Typer(help="Collect fine-grained human ratings in the browser and turn them into MOS (FineVD's protocol).")
console = Console(stderr=True, soft_wrap=True)

_SHOWN_SKIPS = 20


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(1)


def _add(store: Store, accepted: list[Path], skipped: list[Skipped]) -> None:
    added, existing = store.add_videos(accepted)
    console.print(f"added {len(added)} videos" + (f", {len(existing)} already in the study" if existing else ""))
    for skip in skipped[:_SHOWN_SKIPS]:
        console.print(f"  skipped {skip.path}: {skip.reason}", highlight=False)
    if len(skipped) > _SHOWN_SKIPS:
        console.print(f"  ... and {len(skipped) - _SHOWN_SKIPS} more skipped files")
    avi = [v.path for v in added if v.path.lower().endswith(".avi")]
    if avi:
        console.print(
            f"[yellow]warning:[/yellow] {len(avi)} AVI files: most browsers cannot play AVI; convert to MP4 or WebM"
        )


def _checked(references: list[Reference], source: Path) -> list[Reference]:
    for ref in references:
        reason = "does not exist" if not ref.path.is_file() else check(ref.path)
        if reason:
            raise _fail(f"{source}: {ref.path}: {reason}")
    return references


def _set_references(store: Store, references: list[Reference], role: str) -> None:
    """Controls and examples may live outside the study's folders: add them first."""
    added, existing = store.add_videos([ref.path for ref in references], role="rate" if role == "control" else role)
    by_path = {video.path: video for video in added + existing}
    for ref in references:
        store.set_reference(by_path[store.stored_path(ref.path)].id, ref, role)


@app.command()
def create(
    videos: list[Path] = typer.Argument(..., help="video files or folders (searched recursively)"),
    output: Path = typer.Option(..., "-o", "--output", help="the study file to create (SQLite)"),
    controls: int = typer.Option(0, help="this many random videos as controls: repeated by all, no stated levels"),
    controls_file: Path | None = typer.Option(None, help="CSV of control videos with expected levels (docs/study.md)"),
    examples: Path | None = typer.Option(None, help="CSV of training examples shown in the instructions, same layout"),
    repeat: int = typer.Option(3, min=0, help="videos each annotator rates a second time, hidden"),
    seed: int | None = typer.Option(None, help="fix the random orders (default: random)"),
) -> None:
    """Create a study file from videos; controls and examples are fixed here, before anyone rates."""
    if controls and controls_file:
        raise _fail("give --controls or --controls-file, not both")
    # everything that can fail is checked before the study file exists
    stated = _checked(read_references(controls_file), controls_file) if controls_file else []
    shown = _checked(read_references(examples), examples) if examples else []
    accepted, skipped = collect(videos)
    shown_paths = {ref.path.resolve() for ref in shown}
    if controls > len([p for p in accepted if p.resolve() not in shown_paths]):
        raise _fail(f"--controls {controls} but only {len(accepted)} videos were found")
    try:
        store = Store.create(output, repeats=repeat, seed=seed)
    except FileExistsError as error:
        raise _fail(str(error)) from None
    _add(store, accepted, skipped)
    if stated:
        _set_references(store, stated, "control")
    elif controls:
        pool = [v for v in store.videos("rate") if store.resolve(v.path) not in shown_paths]
        for video in random.Random(seed).sample(pool, controls):
            store.set_reference(video.id, Reference(store.resolve(video.path), {}, (), ""), "control")
    if shown:
        _set_references(store, shown, "example")
    n_controls, n_examples = len(store.videos("control")), len(store.videos("example"))
    console.print(f"created {output}: {len(store.videos('rate', 'control'))} videos to rate, "
                  f"{n_controls} controls, {n_examples} training examples, {repeat} hidden repeats per annotator")


@app.command()
def add(
    study: Path = typer.Argument(..., help="the study file"),
    videos: list[Path] = typer.Argument(..., help="video files or folders to add"),
) -> None:
    """Add videos to a study, also while it runs: annotators get them in their remaining queue."""
    _add(_open(study), *collect(videos))


@app.command()
def invite(
    study: Path = typer.Argument(..., help="the study file"),
    names: list[str] = typer.Argument(..., help="annotator names"),
    base_url: str = typer.Option("http://127.0.0.1:8001", help="where annotators reach `finevq study serve`"),
) -> None:
    """Create annotators and print each one's personal link (a link with a token, no name to type)."""
    store = _open(study)
    for name in names:
        annotator = store.open_session(name)
        print(f"{annotator.name}\t{base_url.rstrip('/')}/?token={annotator.token}")


@app.command()
def serve(
    study: Path = typer.Argument(..., help="the study file"),
    host: str = typer.Option("127.0.0.1", help="address to listen on; 0.0.0.0 exposes the study to the network"),
    port: int = typer.Option(8001),
) -> None:
    """Serve the rating page for annotators."""
    import uvicorn

    from .app import create_app

    _open(study)
    console.print(f"rating page: http://{host}:{port}/  (Ctrl+C to stop; answers are saved as they come)")
    uvicorn.run(create_app(study), host=host, port=port, log_level="warning")


@app.command()
def mos(
    study: Path = typer.Argument(..., help="the study file"),
    output: Path = typer.Option(..., "-o", "--output", help="labels CSV to write"),
    report: Path | None = typer.Option(None, help="also write this HTML report"),
    min_videos: int = typer.Option(ScreeningConfig.min_videos, help="ignore raters with fewer rated videos"),
    reject_share: float = typer.Option(
        ScreeningConfig.reject_share, help="BT.500: outlier share above which a rater may be rejected"
    ),
    reject_asymmetry: float = typer.Option(
        ScreeningConfig.reject_asymmetry, help="BT.500: ... unless |P-Q|/(P+Q) is at least this"
    ),
    control_tolerance: float = typer.Option(
        ScreeningConfig.control_tolerance, help="reject above this mean level error on controls (negative: off)"
    ),
    repeat_tolerance: float = typer.Option(
        ScreeningConfig.repeat_tolerance, help="reject above this mean level change on repeats (negative: off)"
    ),
    rescale: str = typer.Option("panel", help="'panel' (level words keep their meaning) or 'fixed' (100(z+3)/6)"),
) -> None:
    """Screen raters, compute MOS with 95% CIs and write the labels CSV (and the HTML report)."""
    if rescale not in ("panel", "fixed"):
        raise _fail("--rescale is 'panel' or 'fixed'")
    cfg = ScreeningConfig(
        min_videos=min_videos,
        reject_share=reject_share,
        reject_asymmetry=reject_asymmetry,
        control_tolerance=control_tolerance if control_tolerance >= 0 else None,
        repeat_tolerance=repeat_tolerance if repeat_tolerance >= 0 else None,
        rescale=rescale,
    )
    result = analyse(_open(study).snapshot(), cfg)
    n = write_labels(result, output)
    accepted = result.result.raters.accepted
    console.print(f"wrote {output}: {n} of {len(result.videos)} videos labelled by "
                  f"{int(accepted.sum())} of {len(result.annotators)} raters")
    for annotator, reasons in zip(result.annotators, result.result.raters.reasons):
        if reasons:
            console.print(f"  rejected {annotator.name}: {'; '.join(reasons)}", highlight=False)
    if report:
        report.write_text(render(result, f"Study report: {study.name}"), encoding="utf-8")
        console.print(f"wrote {report}")


def _open(study: Path) -> Store:
    try:
        return Store(study)
    except (FileNotFoundError, ValueError) as error:
        raise _fail(str(error)) from None
