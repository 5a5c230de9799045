"""Supervised worker processes: a video that hangs, eats memory or crashes costs one row, not the batch.

Each worker creates its assessor once and then takes one video at a time, so the parent
always knows which video a worker is on and for how long. The parent kills a worker that
runs past the per-video timeout or above the memory cap, records the video as failed and
starts a replacement; the rest of the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from threadpoolctl import threadpool_limits

from ..assessors import create_assessor
from ..assessors.base import Assessor
from ..schema import Assessment, ModelInfo
from .inputs import Job

#: Set to one thread per worker unless the user set OMP_NUM_THREADS: parallelism comes from
#: the workers, and torch's OpenMP threads spin-waiting for a CPU that another worker (or
#: anything else on the machine) holds cost more than they bring: one 2-thread worker took
#: 1.7-2x as long as a 1-thread one on a busy 2-core machine.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
#: How often the parent looks at workers' memory when a cap is set.
MEMORY_POLL_SECONDS = 0.2


class PoolError(RuntimeError):
    """Workers cannot start at all (bad model, broken install): no video could be assessed."""


@dataclass(frozen=True)
class AssessorFactory:
    """Picklable recipe for the assessor, so each worker process builds its own."""

    model: str = "fast"

    def __call__(self) -> Assessor:
        return create_assessor(self.model)


@dataclass(frozen=True)
class Outcome:
    job: Job
    assessment: Assessment


def _serve(conn: Connection, factory: Callable[[], Assessor]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    count = os.environ.get("OMP_NUM_THREADS", "1")  # a user's (or Ray's) setting wins
    for name in THREAD_VARIABLES:  # all alike: torch takes MKL_NUM_THREADS over OMP_NUM_THREADS; it loads lazily
        os.environ.setdefault(name, count)
    threadpool_limits(int(count))  # BLAS was loaded by the fork server, before these were set
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(count))
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    try:
        assessor = factory()
    except BaseException:
        conn.send(("fatal", traceback.format_exc()))
        return
    conn.send(("ready", assessor.model_info.model_dump_json()))
    while True:
        try:
            path = conn.recv()
        except EOFError:
            return
        conn.send(("done", assessor.assess(path).to_json()))


def _context():
    """A fork server with finevq already imported: a fresh or replacement worker starts in a
    fraction of a second, and (unlike plain fork) never inherits the parent's threads and locks.

    `__main__` is not preloaded: inside a Ray actor it is Ray's worker script, and a server
    that imported it forks children with Ray's locks half-held."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["finevq.assessors"])
    return context


def _exit_with_parent(parent: int) -> None:
    """A worker stuck in a decoder never reads its pipe again; without this it would outlive a killed batch.

    The parent is the fork server, which exits as soon as the batch process is gone."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # exited between the liveness check and now
        return 0


class _Worker:
    def __init__(self, context, factory):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, factory), daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.job: Job | None = None
        self.started = 0.0

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class WorkerPool:
    """`run(jobs)` yields one Outcome per job, in completion order; workers persist across calls."""

    def __init__(self, factory: Callable[[], Assessor], size: int, timeout: float | None = None, max_memory: int | None = None):
        if max_memory and not os.path.exists("/proc/self/statm"):
            raise PoolError("a memory cap needs Linux's /proc to watch the workers")
        self.factory = factory
        self.size = max(1, size)
        self.timeout = timeout
        self.max_memory = max_memory
        self.model_info: ModelInfo | None = None
        self._context = _context()
        self._workers: list[_Worker] = []

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []

    def run(self, jobs: Iterable[Job]) -> Iterator[Outcome]:
        pending = deque(jobs)
        while pending or any(w.job for w in self._workers):
            busy = sum(1 for w in self._workers if w.job)
            while len(self._workers) < min(self.size, busy + len(pending)):
                self._workers.append(_Worker(self._context, self.factory))
            for worker in [w for w in self._workers if w.ready and not w.job][: len(pending)]:
                worker.job, worker.started = pending.popleft(), time.monotonic()
                try:
                    worker.conn.send(worker.job.path)
                except OSError:  # died while idle: its sentinel will say so; the video waits for another worker
                    pending.appendleft(worker.job)
                    worker.job = None
            handles = [w.conn for w in self._workers] + [w.process.sentinel for w in self._workers]
            woke = set(wait(handles, timeout=self._tick()))
            for worker in list(self._workers):
                yield from self._check(worker, woke)

    def _tick(self) -> float | None:
        waits = [MEMORY_POLL_SECONDS] if self.max_memory else []
        if self.timeout:
            waits += [w.started + self.timeout - time.monotonic() for w in self._workers if w.job]
        return max(0.0, min(waits)) if waits else None

    def _check(self, worker: _Worker, woke: set) -> Iterator[Outcome]:
        if worker.conn in woke:
            try:
                while worker.conn.poll():
                    kind, payload = worker.conn.recv()
                    if kind == "fatal":
                        raise PoolError(f"the assessor could not be created in a worker:\n{payload}")
                    if kind == "ready":
                        worker.ready = True
                        self.model_info = ModelInfo.model_validate_json(payload)
                    else:
                        job, worker.job = worker.job, None
                        yield Outcome(job, Assessment.model_validate_json(payload))
            except (EOFError, OSError):
                pass  # the worker died; its sentinel says how
        if not worker.process.is_alive():
            if not worker.ready:
                raise PoolError(f"a worker exited with code {worker.process.exitcode} before it was ready")
            code, message = _death(worker.process.exitcode)
            yield from self._replace(worker, code, message)
        elif worker.job and self.timeout and time.monotonic() - worker.started > self.timeout:
            yield from self._replace(worker, "timeout", f"no result after {self.timeout:g} s; the worker was stopped")
        elif worker.job and self.max_memory and (rss := _rss(worker.process.pid)) > self.max_memory:
            message = f"the worker used {rss / 2**20:.0f} MiB, above the cap of {self.max_memory / 2**20:.0f} MiB"
            yield from self._replace(worker, "too_large", message)

    def _replace(self, worker: _Worker, code: str, message: str) -> Iterator[Outcome]:
        """Drop the worker; `run` starts a fresh one if there is still work for it."""
        worker.stop()
        self._workers.remove(worker)
        if worker.job:
            yield Outcome(worker.job, Assessment.failure(worker.job.path, self.model_info, code, message))


def _death(exitcode: int | None) -> tuple[str, str]:
    if exitcode == -signal.SIGKILL:
        return "too_large", "the worker was killed (SIGKILL), most likely by the kernel for running out of memory"
    if exitcode is not None and exitcode < 0:
        return "internal", f"the worker crashed ({signal.Signals(-exitcode).name})"
    return "internal", f"the worker exited unexpectedly (code {exitcode})"
