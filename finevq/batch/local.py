"""The local engine: supervised worker processes on this machine, results stored as they finish."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

from ..assessors.base import Assessor
from .inputs import Job, Jobs
from .pool import AssessorFactory, WorkerPool
from .rows import result_row
from .store import open_store
from .summary import RunReport


def plan(jobs: Jobs, done: dict[tuple[str, str], str | None]) -> tuple[list[Job], RunReport]:
    """Split the inputs into what is left to do and a report that already counts what was done before."""
    todo = [job for job in jobs.jobs if (job.path, job.key) not in done]
    earlier = Counter(code for job in jobs.jobs if (code := done.get((job.path, job.key))))
    report = RunReport(total=len(jobs.jobs), skipped=len(jobs.jobs) - len(todo), skipped_failures=earlier, duplicates=jobs.duplicates)
    return todo, report


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.completed / task.elapsed:.2f} videos/s" if task.elapsed and task.completed else "-- videos/s")


def run_local(
    jobs: Jobs,
    output: str | os.PathLike,
    factory: Callable[[], Assessor] = AssessorFactory(),
    workers: int = 1,
    timeout: float | None = None,
    max_memory: int | None = None,
    console: Console | None = None,
) -> RunReport:
    """Assess what the output does not hold yet; Ctrl-C stops early and still commits what finished."""
    store = open_store(output, jobs.extra_types)
    todo, report = plan(jobs, store.done)
    report.notes += store.notes
    extra_columns = list(jobs.extra_types)
    progress = Progress(
        TextColumn("assessing"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeRemainingColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        console=console,
        disable=console is None or not todo,
    )
    started = time.monotonic()
    try:
        with progress, WorkerPool(factory, min(workers, len(todo)), timeout, max_memory) as pool:
            task = progress.add_task("assessing", total=len(todo), failed=0)
            for outcome in pool.run(todo):
                row = result_row(outcome.job, outcome.assessment, extra_columns)
                store.append(row)
                report.add(row["error_code"], row["frame_count"])
                progress.update(task, advance=1, failed=sum(report.failures.values()))
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        store.close()
        report.seconds = time.monotonic() - started
    return report
