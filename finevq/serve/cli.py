"""`finevq serve` and `finevq report`, as typer-style functions that finevq's CLI registers."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on; loopback unless a proxy or firewall stands in front")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    api_key_file: Annotated[Path | None, typer.Option(help="file holding the key that clients must send in X-API-Key")] = None,
    max_upload_mb: Annotated[float, typer.Option(help="largest upload accepted, in MiB")] = 500.0,
    workers: Annotated[int, typer.Option(help="assessor processes (about one per CPU core)")] = 2,
    allow_root: Annotated[list[Path] | None, typer.Option("--allow-root", help="directory whose files may be assessed by path (repeatable)")] = None,
    store: Annotated[Path, typer.Option(help="SQLite file keeping jobs and results across restarts")] = Path("jobs.db"),
    job_timeout: Annotated[float, typer.Option(help="seconds before a job's worker is stopped and the job fails")] = 600.0,
    max_queued: Annotated[int, typer.Option(help="waiting jobs beyond which uploads are refused (503)")] = 100,
    cors_origin: Annotated[list[str] | None, typer.Option("--cors-origin", help="origin allowed to call the API from its pages (repeatable); none by default")] = None,
    model: Annotated[str, typer.Option(help="assessor: 'fast' or 'fast:HEADS_DIR'")] = "fast",
) -> None:
    """Serve the HTTP API (docs at /docs) and the web page (at /) that assesses a dropped video."""
    import uvicorn

    from .app import create_app
    from .settings import Settings

    api_key = None
    if api_key_file is not None:
        api_key = api_key_file.read_text(encoding="utf-8").strip()
        if not api_key:
            raise typer.BadParameter(f"{api_key_file} is empty", param_hint="--api-key-file")
    roots = tuple(allow_root or ())
    for root in roots:
        if not root.is_dir():
            raise typer.BadParameter(f"{root} is not a directory", param_hint="--allow-root")
    if not _is_loopback(host) and api_key is None:
        err.print(f"[yellow]warning:[/] listening on {host} without --api-key-file: anyone who can reach this port can submit videos")
    settings = Settings(
        store=store,
        max_upload_mb=max_upload_mb,
        workers=workers,
        job_timeout=job_timeout,
        max_queued=max_queued,
        allow_roots=roots,
        api_key=api_key,
        cors_origins=tuple(cors_origin or ()),
        model=model,
    )
    uvicorn.run(create_app(settings), host=host, port=port, server_header=False)


def report_command(
    video: Annotated[Path, typer.Argument(help="a video to assess, or an assessment saved as .json", show_default=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="HTML file to write (default: beside the input, .html)")] = None,
    model: Annotated[str, typer.Option(help="assessor: 'fast' or 'fast:HEADS_DIR'")] = "fast",
) -> None:
    """Write the web page's view of one video as a single self-contained HTML file. Exits 1 if the video could not be assessed."""
    from ..schema import Assessment
    from .report import render_report

    if video.suffix.lower() == ".json":
        assessment = Assessment.model_validate_json(video.read_text(encoding="utf-8"))
    else:
        from ..assessors import create_assessor

        assessment = create_assessor(model).assess(video)
    target = output or video.with_suffix(".html")
    target.write_text(render_report(assessment), encoding="utf-8")
    err.print(f"wrote {target}")
    if not assessment.ok:
        err.print(f"[red]{video}: {assessment.error.code}: {assessment.error.message}[/]")
        raise typer.Exit(1)
