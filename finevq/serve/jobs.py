"""Jobs: a SQLite table that outlives the server, and a bounded pool of assessor processes.

The assessor is CPU-bound and may hang or crash inside a decoder, so each worker is a
process of its own that builds one assessor for its whole life (models load once), and
a thread in the server watches it: a job past its time limit, or a worker that dies,
costs that one job and a fresh worker, never the service. Jobs still queued or running
when the server stops are queued again when it starts.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import queue
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the server process never builds an assessor, so it need not import one
    from ..assessors.base import Assessor

log = logging.getLogger("finevq.serve")

#: Seconds a new worker may take to build its assessor (importing torch, loading weights) before it counts as broken.
WORKER_START_SECONDS = 300.0

_SINGLE_THREADED = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENCV_FOR_THREADS_NUM")

#: Builds the assessor inside a worker; must pickle (a module-level function or a partial of one).
AssessorFactory = Callable[[], "Assessor"]


def registered_assessor(name: str) -> "Assessor":
    """The default factory (as `partial(registered_assessor, name)`): finevq's registry, imported in the worker only."""
    from ..assessors import create_assessor

    return create_assessor(name)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    file TEXT NOT NULL,
    upload INTEGER NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    error_code TEXT,
    error_message TEXT,
    result TEXT
)"""


@dataclass(frozen=True)
class Job:
    id: str
    status: str
    #: What the client named: an upload's file name, or the path as given.
    source: str
    #: What the worker opens.
    file: str
    #: The file is the service's own copy of an upload, deleted once assessed.
    upload: bool
    created: float
    started: float | None
    finished: float | None
    error_code: str | None
    error_message: str | None
    #: The Assessment as JSON, for finished jobs (failed ones too, when the assessor made a record).
    result: str | None


class JobStore:
    """One connection behind a lock: each statement takes well under a millisecond, so serialising them costs nothing."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._run("PRAGMA journal_mode=WAL")
        self._run(_SCHEMA)

    def _run(self, sql: str, *args) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def add(self, source: str, file: str, upload: bool) -> Job:
        job_id = uuid.uuid4().hex
        self._run(
            "INSERT INTO jobs (id, status, source, file, upload, created) VALUES (?, 'queued', ?, ?, ?, ?)",
            job_id, source, file, int(upload), time.time(),
        )
        return self.get(job_id)

    def get(self, job_id: str) -> Job | None:
        rows = self._run("SELECT * FROM jobs WHERE id = ?", job_id)
        return _job(rows[0]) if rows else None

    def start(self, job_id: str) -> None:
        self._run("UPDATE jobs SET status = 'running', started = ? WHERE id = ?", time.time(), job_id)

    def finish(self, job_id: str, result: str | None, error_code: str | None = None, error_message: str | None = None) -> None:
        self._run(
            "UPDATE jobs SET status = ?, finished = ?, result = ?, error_code = ?, error_message = ? WHERE id = ?",
            "failed" if error_code else "done", time.time(), result, error_code, error_message, job_id,
        )

    def ahead_of(self, job: Job) -> int:
        """How many queued jobs will start before this one."""
        rows = self._run(
            "SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND seq < (SELECT seq FROM jobs WHERE id = ?)", job.id
        )
        return rows[0][0]

    def count(self, status: str) -> int:
        return self._run("SELECT COUNT(*) FROM jobs WHERE status = ?", status)[0][0]

    def requeue_unfinished(self) -> list[Job]:
        """Jobs a stopped server left queued or running, oldest first, queued again."""
        self._run("UPDATE jobs SET status = 'queued', started = NULL WHERE status = 'running'")
        return [_job(row) for row in self._run("SELECT * FROM jobs WHERE status = 'queued' ORDER BY seq")]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _job(row: sqlite3.Row) -> Job:
    return Job(**{key: row[key] for key in row.keys() if key != "seq"} | {"upload": bool(row["upload"])})


def _serve(conn, factory: AssessorFactory) -> None:
    """A worker's whole life: build the assessor once, then assess paths until told to stop."""
    # Ctrl-C in a terminal reaches the whole process group; the server decides when workers
    # stop, so that a job cut off by shutdown is queued again rather than recorded as failed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Parallelism comes from the number of workers: an assessor that also spreads over every
    # core (torch's OpenMP pool, OpenCV's threads) makes the workers fight, and on small
    # clips it is slower even alone. Set before the assessor imports them; the operator's
    # own settings win.
    for variable in _SINGLE_THREADED:
        os.environ.setdefault(variable, "1")
    try:
        assessor = factory()
    except Exception as error:
        conn.send(("broken", f"{type(error).__name__}: {error}"))
        return
    conn.send(("ready", ""))
    while (path := conn.recv()) is not None:
        conn.send(("done", assessor.assess(path).to_json()))


class _Worker:
    """One assessor process and the server's end of its pipe."""

    def __init__(self, factory: AssessorFactory):
        # spawn, not fork: the server has threads (uvicorn, the slots), and forking a process
        # with threads can copy a lock some other thread holds.
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, factory), daemon=True, name="finevq-worker")
        self.process.start()
        child.close()
        #: Set once the assessor is built, so health can tell starting workers from working ones.
        self.ready = False

    def receive(self, timeout: float) -> tuple[str, str]:
        """The worker's next message; TimeoutError if none comes in time, EOFError if it died."""
        if not self.conn.poll(timeout):
            raise TimeoutError
        return self.conn.recv()

    def exit_code(self) -> int | None:
        """The code of a worker whose pipe just closed (it may take a moment to be reaped)."""
        self.process.join(timeout=1)
        return self.process.exitcode

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class _Slot(threading.Thread):
    """Feeds one worker one job at a time, and replaces the worker when it hangs or dies."""

    def __init__(self, pool: "WorkerPool", number: int):
        super().__init__(name=f"finevq-slot-{number}", daemon=True)
        self.pool = pool
        self.worker: _Worker | None = None
        #: Why the last worker could not start, for the failed job's message.
        self.problem = ""

    def run(self) -> None:
        try:
            self._ensure_worker()
            while (job_id := self.pool.queue.get()) is not None and not self.pool.stopping:
                try:
                    self._assess(job_id)
                except Exception:  # a bug here must cost one job, not the slot
                    log.exception("job %s", job_id)
                    self.pool.store.finish(job_id, None, "internal", "the server failed while running this job (see its log)")
        finally:
            self._drop_worker()

    def _ensure_worker(self) -> bool:
        if self.worker is not None and self.worker.process.is_alive():
            return True
        self._drop_worker()
        kind, message = self._start_worker()
        if kind == "ready" and not self.pool.stopping:
            self.worker.ready = True
            return True
        self.problem = message
        self._drop_worker()
        if not self.pool.stopping:
            log.error("a worker could not start: %s", message)
        return False

    def _start_worker(self) -> tuple[str, str]:
        """('ready', '') once the new worker has built its assessor, else ('broken', why)."""
        try:
            self.worker = _Worker(self.pool.factory)
        except Exception as error:  # e.g. a factory that does not pickle
            return "broken", f"no worker process could be started: {type(error).__name__}: {error}"
        try:
            return self.worker.receive(WORKER_START_SECONDS)
        except TimeoutError:
            return "broken", f"the worker did not start within {WORKER_START_SECONDS:g} s"
        except (EOFError, OSError):
            return "broken", f"the worker exited with code {self.worker.exit_code()} while starting"

    def _drop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def _assess(self, job_id: str) -> None:
        store, job = self.pool.store, self.pool.store.get(job_id)
        if not self._ensure_worker():
            if not self.pool.stopping:
                store.finish(job.id, None, "internal", f"the assessor could not be created: {self.problem}")
                _remove_upload(job)
            return
        store.start(job.id)
        try:
            self.worker.conn.send(job.file)
            _, payload = self.worker.receive(self.pool.timeout)
        except TimeoutError:
            self._drop_worker()
            store.finish(job.id, None, "timeout", f"assessment took longer than {self.pool.timeout:g} s; its worker was stopped")
        except (EOFError, OSError):
            if self.pool.stopping:  # left 'running', so the next start queues it again
                return
            message = f"the worker process died (exit code {self.worker.exit_code()}) while assessing this video"
            self._drop_worker()
            store.finish(job.id, None, "internal", message)
        else:
            result = json.loads(payload)
            result["video"] = job.source  # not the server's own file name for the upload
            error = result.get("error") or {}
            store.finish(job.id, json.dumps(result), error.get("code"), error.get("message"))
        _remove_upload(job)


def _remove_upload(job: Job) -> None:
    if job.upload:
        Path(job.file).unlink(missing_ok=True)


class WorkerPool:
    def __init__(self, store: JobStore, factory: AssessorFactory, workers: int, timeout: float, uploads: Path):
        self.store = store
        self.factory = factory
        self.timeout = timeout
        self.uploads = uploads
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.stopping = False
        self._slots = [_Slot(self, n) for n in range(max(1, workers))]

    def start(self) -> None:
        waiting = self.store.requeue_unfinished()
        self._remove_orphans({job.file for job in waiting if job.upload})
        for job in waiting:
            self.queue.put(job.id)
        for slot in self._slots:
            slot.start()

    def _remove_orphans(self, keep: set[str]) -> None:
        """Uploads that no waiting job refers to: cut off mid-transfer, or assessed just before a crash."""
        self.uploads.mkdir(parents=True, exist_ok=True)
        for path in self.uploads.iterdir():
            if str(path) not in keep and path.is_file():
                path.unlink()

    def submit(self, job: Job) -> None:
        self.queue.put(job.id)

    def ready_workers(self) -> int:
        workers = [slot.worker for slot in self._slots]  # read once: a slot may swap its worker meanwhile
        return sum(1 for worker in workers if worker is not None and worker.ready and worker.process.is_alive())

    def stop(self) -> None:
        """Kill the workers without waiting for their jobs: those stay 'running' and run again at the next start."""
        self.stopping = True
        for _ in self._slots:
            self.queue.put(None)
        for worker in [slot.worker for slot in self._slots]:
            if worker is not None:
                worker.process.kill()
        for slot in self._slots:
            slot.join(timeout=10)
