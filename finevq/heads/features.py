"""The features heads learn from, and a resumable Parquet cache of them.

Measuring a video (decode, signals, EfficientNet-Lite0) is the expensive step and does not
depend on the heads, so `finevq features` measures each labelled video once; `train` and
`evaluate` read the cache and refit or rescore in seconds. The cache grows in small part
files, so a crash or Ctrl-C loses at most one part; a video that cannot be measured is
kept with its error (and skipped by training) instead of being retried on every run.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import AssessmentError
from ..signals.motion import MOTION_SIGNALS
from ..signals.spatial import SPATIAL_SIGNALS

SIGNAL_PREFIX = "s."
#: Written into the cache: a cache made by other feature code is refused, not silently mixed.
FEATURES_VERSION = "10"
PART_ROWS = 32


def signal_names() -> list[str]:
    return sorted([*SPATIAL_SIGNALS, *MOTION_SIGNALS])


def measurement_row(video: str, path: str) -> dict:
    """One cache row: the video's pooled signals, the mean deep features, or the error."""
    from ..assessors.fast import measure

    row: dict = {"video": video, "version": FEATURES_VERSION, "error": None, "deep": None}
    try:
        m = measure(path)
    except AssessmentError as exc:
        return {**row, "error": f"{exc.code}: {exc}"}
    except Exception as exc:  # recorded per video; the cache run goes on
        return {**row, "error": f"internal: {type(exc).__name__}: {exc}"}
    signals = m.video_signals()
    row.update({SIGNAL_PREFIX + n: float(signals.get(n, np.nan)) for n in signal_names()})
    row["deep"] = None if m.deep is None else m.deep.astype(np.float32).tolist()
    return row


def _limit_threads() -> None:
    """Parallelism comes from the processes; see finevq.batch.pool.THREAD_VARIABLES for why one thread each
    (and `process.tune_for_measuring` for the heap cushion)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    from ..assessors.process import tune_for_measuring

    tune_for_measuring()


def _measure_task(item: tuple[str, str]) -> dict:
    return measurement_row(*item)


def read_cache(path: Path) -> pd.DataFrame:
    """The cache file plus any part files a previous run left; one row per video, last wins."""
    frames = []
    if path.exists():
        frames.append(pd.read_parquet(path))
    parts = _parts_dir(path)
    if parts.is_dir():
        frames += [pd.read_parquet(p) for p in sorted(parts.glob("part-*.parquet"))]
    if not frames:
        return pd.DataFrame(columns=["video", "version", "error", "deep"])
    table = pd.concat(frames, ignore_index=True).drop_duplicates("video", keep="last")
    stale = set(table["version"].dropna()) - {FEATURES_VERSION}
    if stale:
        raise ValueError(f"{path} holds features of version(s) {', '.join(sorted(stale))}, not {FEATURES_VERSION}; use a new cache file")
    return table.reset_index(drop=True)


def _parts_dir(path: Path) -> Path:
    return path.with_name(path.name + ".parts")


def build_cache(
    videos: Sequence[tuple[str, str]],
    out: Path,
    *,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Measure (video id, file path) pairs not yet in the cache; returns the whole cache."""
    out = Path(out)
    cached = read_cache(out)
    done = set(cached["video"])
    wanted = dict(videos)
    todo = [v for v in wanted.items() if v[0] not in done]
    parts = _parts_dir(out)
    if on_progress:
        on_progress(len(wanted) - len(todo), len(wanted))
    if todo:
        parts.mkdir(parents=True, exist_ok=True)
        start = len(list(parts.glob("part-*.parquet")))
        pending: list[dict] = []
        workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        context = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
        with context.Pool(workers, initializer=_limit_threads) as pool:
            for i, row in enumerate(pool.imap(_measure_task, todo), 1):
                pending.append(row)
                if len(pending) >= PART_ROWS or i == len(todo):
                    pd.DataFrame(pending).to_parquet(parts / f"part-{start:05d}.parquet")
                    start, pending = start + 1, []
                if on_progress:
                    on_progress(len(wanted) - len(todo) + i, len(wanted))
    table = read_cache(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    table.to_parquet(temporary)
    os.replace(temporary, out)
    for part in parts.glob("part-*.parquet") if parts.is_dir() else ():
        part.unlink()
    if parts.is_dir():
        parts.rmdir()
    return table


def matrices(table: pd.DataFrame, videos: Iterable[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Signals and deep features of `videos` in that order (rows of failed videos are NaN)."""
    names = signal_names()
    indexed = table.set_index("video")
    order = list(videos)
    missing = [v for v in order if v not in indexed.index]
    if missing:
        raise KeyError(f"{len(missing)} video(s) are not in the features cache, e.g. {missing[:3]}")
    rows = indexed.loc[order]
    signals = np.column_stack([rows.get(SIGNAL_PREFIX + n, pd.Series(np.nan, index=rows.index)).to_numpy(float) for n in names])
    width = next((len(d) for d in rows["deep"] if d is not None and len(d)), 0)
    deep = np.full((len(order), width), np.nan, dtype=np.float32)
    for i, d in enumerate(rows["deep"]):
        if d is not None and len(d):
            deep[i] = np.asarray(d, dtype=np.float32)
    return signals, deep, names
