"""The batch side of `finevq assess`: kept here so the CLI module only parses and prints."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from ..assessors import available
from .inputs import InputError, collect
from .local import run_local
from .pool import AssessorFactory, PoolError
from .ray_engine import EngineUnavailable, run_ray
from .store import StoreError, output_kind

#: Per-video limit when none is given: far above a normal video, but a hung decoder cannot stall the batch for ever.
DEFAULT_TIMEOUT = 600.0
ENGINES = ("local", "ray")
_UNITS = {"": 2**20, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_size(text: str) -> int:
    """'4G', '512M', '2GiB' or a plain number of MiB, in bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", text.lower())
    if not match:
        raise InputError(f"cannot read {text!r} as a memory size (try 4G or 512M)")
    return int(float(match[1]) * _UNITS[match[2]])


def run_command(
    videos: Sequence[str],
    output: str | None,
    model: str,
    workers: int | None,
    engine: str,
    address: str | None,
    include: Sequence[str],
    timeout: float | None,
    max_memory: str | None,
    content_hash: bool,
    console: Console,
) -> int:
    """Run a batch and print its report; returns the exit code (2 when the batch could not run at all)."""
    try:
        if output is None:
            raise InputError("a batch needs --output: a .jsonl or .parquet file, or a folder")
        if engine not in ENGINES:
            raise InputError(f"unknown engine {engine!r}; use {' or '.join(ENGINES)}")
        if model.partition(":")[0] not in available():
            raise InputError(f"unknown assessor {model!r}; available: {', '.join(available())}")
        if address and engine != "ray":
            raise InputError("--address joins a Ray cluster; it needs --engine ray")
        output_kind(output)
        cap = parse_size(max_memory) if max_memory else None
        limit = DEFAULT_TIMEOUT if timeout is None else timeout or None
        jobs = collect(videos, include, content_hash)
        if not jobs.jobs:
            raise InputError("no videos found in the inputs" + ("" if include else " (folders are searched for common video suffixes; see --include)"))
        factory = AssessorFactory(model)
        if engine == "ray":
            report = run_ray(jobs, output, factory, workers, limit, cap, address)
        else:
            report = run_local(jobs, output, factory, workers or os.cpu_count() or 1, limit, cap, console)
    except (InputError, StoreError, PoolError, EngineUnavailable) as error:
        console.print(f"[red]error:[/] {escape(str(error))}")
        return 2
    console.print(report.render())
    return report.exit_code
