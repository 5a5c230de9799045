"""What an operator decides about a running service; the defaults are the safe choice."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    #: SQLite file that keeps jobs and their results across restarts.
    store: Path = Path("jobs.db")
    #: Where uploads wait for their turn; beside the store by default, so queued uploads survive a restart too.
    upload_dir: Path | None = None
    max_upload_mb: float = 500.0
    #: Worker processes, each holding one assessor; the assessor is CPU-bound, so about one per core.
    workers: int = 2
    #: A job still running after this many seconds has its worker killed and fails with code 'timeout'.
    job_timeout: float = 600.0
    #: Uploads beyond this many waiting jobs are refused (503), so a flood cannot fill the disk.
    max_queued: int = 100
    #: Directories whose files may be assessed by path; none means path jobs are refused.
    allow_roots: tuple[Path, ...] = ()
    #: When set, /v1/assessments and /v1/ask need it in the X-API-Key header.
    api_key: str | None = None
    #: Origins allowed to call the API from other sites' pages; empty means CORS stays off.
    cors_origins: tuple[str, ...] = ()
    #: The assessor name given to finevq.create_assessor in each worker.
    model: str = "fast"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def uploads(self) -> Path:
        return self.upload_dir or self.store.with_name(self.store.stem + "-uploads")
