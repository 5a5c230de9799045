"""Batch assessment: many videos, resumable outputs, local worker processes or Ray.

    >>> from finevq.batch import collect, run_local
    >>> report = run_local(collect(["videos/"]), "results.parquet", workers=2)
    >>> report.exit_code

See docs/batch.md for the output layout and the resume guarantees.
"""

from __future__ import annotations

from .inputs import InputError, Job, Jobs, collect
from .local import run_local
from .pool import AssessorFactory, PoolError, WorkerPool
from .ray_engine import EngineUnavailable, run_ray
from .store import StoreError, read_results
from .summary import RunReport, summarize

__all__ = [
    "AssessorFactory",
    "EngineUnavailable",
    "InputError",
    "Job",
    "Jobs",
    "PoolError",
    "RunReport",
    "StoreError",
    "WorkerPool",
    "collect",
    "read_results",
    "run_local",
    "run_ray",
    "summarize",
]
