"""Batch assessment: many videos, resumable outputs, local worker processes or Ray.

    >>> from finevq.batch import collect, run_local
    >>> report = run_local(collect(["videos/"]), "results.parquet", workers=2)
    >>> report.exit_code

See docs/batch.md for the output layout and the resume guarantees.
"""

from __future__ import annotations

import importlib

# Loaded on first use: `finevq assess clip.mp4` asks `request.is_batch` whether it is a batch
# at all, and a single file should not pay for the engines it will not use.
_LAZY = {
    "AssessorFactory": "pool",
    "EngineUnavailable": "ray_engine",
    "InputError": "inputs",
    "Job": "inputs",
    "Jobs": "inputs",
    "PoolError": "pool",
    "RunReport": "summary",
    "StoreError": "store",
    "WorkerPool": "pool",
    "collect": "inputs",
    "read_results": "store",
    "run_local": "local",
    "run_ray": "ray_engine",
    "summarize": "summary",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
