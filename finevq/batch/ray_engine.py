"""The Ray engine: the same assessment as a Ray Data pipeline, for a cluster or many cores.

manifest rows -> map_batches over an actor pool (one assessor per actor) -> Parquet parts.
Each actor supervises one worker process exactly as the local engine does, so a video
that hangs or exhausts memory becomes a failed row instead of a lost actor and a crashed
job. Results land in the same folder layout the local engine writes, so either engine
can resume the other's output.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from ..assessors.base import Assessor
from .inputs import Job, Jobs
from .local import plan
from .pool import AssessorFactory, WorkerPool
from .rows import KEY_COLUMNS, arrow_schema, result_row, rows_to_table
from .store import ROW_GROUP_ROWS, open_store, output_kind, read_results
from .summary import RunReport

#: Videos per map_batches call: small, because one video takes seconds and a batch is the
#: unit Ray balances over actors; a large one leaves actors idle at the end of the job.
BATCH_SIZE = 2


#: Writing a part is light I/O; with a whole CPU per write task, writes would wait until the
#: actors (one per CPU) are done, holding every result in the object store until the end.
WRITE_CPUS = 0.1


class EngineUnavailable(RuntimeError):
    """Ray is not installed (it is an optional extra)."""


class _AssessBatch:
    """The map_batches callable: built once per actor, so the assessor is created once per worker process."""

    def __init__(self, factory, timeout, max_memory, extra_types):
        self.pool = WorkerPool(factory, 1, timeout, max_memory)
        self.extra_types = extra_types
        self.schema = arrow_schema(extra_types)

    def __call__(self, batch):
        jobs = [Job(r.pop("path"), r.pop("key"), r) for r in batch.to_pylist()]
        rows = [result_row(o.job, o.assessment, list(self.extra_types)) for o in self.pool.run(jobs)]
        return rows_to_table(rows, self.schema)


def run_ray(
    jobs: Jobs,
    output: str | os.PathLike,
    factory: Callable[[], Assessor] = AssessorFactory(),
    workers: int | None = None,
    timeout: float | None = None,
    max_memory: int | None = None,
    address: str | None = None,
) -> RunReport:
    """Join the cluster at `address`, or start Ray locally with this machine's cores; `workers` actors (default: one per CPU)."""
    import pandas as pd
    import pyarrow as pa

    try:
        import ray
        import ray.data
    except ImportError:
        raise EngineUnavailable("--engine ray needs Ray, an optional extra: pip install 'finevq[ray]'") from None
    if output_kind(output) != "dir":
        raise EngineUnavailable(f"the Ray engine writes a folder of Parquet parts; pass --output {os.fspath(output).rsplit('.', 1)[0]}/")
    store = open_store(output, jobs.extra_types)
    store.close()  # commits what a local run left in the journal, so it counts as done
    todo, report = plan(jobs, store.done)
    report.notes += store.notes
    started = time.monotonic()
    if todo:
        owns_ray = not ray.is_initialized()
        if owns_ray:
            cpus = None if address else max(os.cpu_count() or 1, workers or 0)  # like local: --workers N is N processes
            ray.init(address=address, num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        try:
            actors = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
            schema = arrow_schema(jobs.extra_types)
            job_schema = pa.schema([schema.field(name) for name in (*KEY_COLUMNS, *jobs.extra_types)])
            table = pa.Table.from_pylist([{"path": j.path, "key": j.key, **j.extras} for j in todo], schema=job_schema)
            blocks = [table.slice(start, BATCH_SIZE) for start in range(0, len(todo), BATCH_SIZE)]
            ray.data.from_arrow(blocks).map_batches(
                _AssessBatch,
                fn_constructor_args=(factory, timeout, max_memory, jobs.extra_types),
                batch_size=BATCH_SIZE,
                batch_format="pyarrow",
                compute=ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1),  # no queue behind a slow video
                num_cpus=1,
            ).write_parquet(os.fspath(output), min_rows_per_file=ROW_GROUP_ROWS, ray_remote_args={"num_cpus": WRITE_CPUS})
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            if owns_ray:
                ray.shutdown()
    report.seconds = time.monotonic() - started
    wanted = {(job.path, job.key) for job in todo}
    results = read_results(output, columns=["error_code", "frame_count"])
    for row in results[[(p, k) in wanted for p, k in zip(results["path"], results["key"])]].itertuples():
        report.add(row.error_code if isinstance(row.error_code, str) else None, 0 if pd.isna(row.frame_count) else int(row.frame_count))
    return report
