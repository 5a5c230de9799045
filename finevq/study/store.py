"""The study file: one SQLite database that holds videos, annotators, their queues and answers.

A single file is what a lab can copy, back up and mail; SQLite in WAL mode lets the rating
server take answers from several annotators while `finevq study mos` reads a consistent
snapshot. Every write runs in `BEGIN IMMEDIATE` so two requests never interleave between
"is this slot still unrated?" and "save the answer", and the UNIQUE constraints back that
up. Connections are opened per operation because the web server answers from a thread
pool and sqlite3 connections must not cross threads.

The schema is documented in docs/study.md; `SCHEMA_VERSION` changes whenever it does.
"""

from __future__ import annotations

import random
import secrets
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..taxonomy import levels_for
from .media import mime_type
from .protocol import Answer, Reference

SCHEMA_VERSION = "1"

#: Controls and repeated videos are met within the first HEAD slots of a queue (more when there
#: are many), so an annotator who stops early has still been measured; each repeat comes more
#: than GAP videos after the first showing, so it is not recognised as the same clip.
HEAD = 10
GAP = 3

ROLES = ("rate", "control", "example")

_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE videos (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN {ROLES}),
    mime TEXT NOT NULL,
    expected_distortions TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL
);
CREATE TABLE expected_levels (
    video_id INTEGER NOT NULL REFERENCES videos(id),
    dimension TEXT NOT NULL,
    level_index INTEGER NOT NULL CHECK (level_index BETWEEN 0 AND 4),
    PRIMARY KEY (video_id, dimension)
);
CREATE TABLE annotators (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    token TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE assignments (
    id INTEGER PRIMARY KEY,
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    video_id INTEGER NOT NULL REFERENCES videos(id),
    position REAL NOT NULL,
    UNIQUE (annotator_id, position)
);
CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    assignment_id INTEGER NOT NULL UNIQUE REFERENCES assignments(id),
    submitted_at TEXT NOT NULL,
    page_version TEXT NOT NULL,
    duration_ms INTEGER,
    plays INTEGER
);
CREATE TABLE response_levels (
    response_id INTEGER NOT NULL REFERENCES responses(id),
    dimension TEXT NOT NULL,
    level_index INTEGER NOT NULL CHECK (level_index BETWEEN 0 AND 4),
    level TEXT NOT NULL,
    PRIMARY KEY (response_id, dimension)
);
CREATE TABLE response_ticks (
    response_id INTEGER NOT NULL REFERENCES responses(id),
    dimension TEXT NOT NULL,
    type TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (response_id, type)
);
CREATE INDEX assignments_by_annotator ON assignments (annotator_id, position);
"""


class StudyError(Exception):
    """A request the study cannot honour; `status` is the HTTP code the server answers with."""

    status = 400


class NotFound(StudyError):
    status = 404


class Conflict(StudyError):
    status = 409


@dataclass(frozen=True)
class Video:
    id: int
    path: str
    role: str
    mime: str
    expected_distortions: str = ""
    note: str = ""


@dataclass(frozen=True)
class Annotator:
    id: int
    name: str
    token: str


@dataclass(frozen=True)
class Progress:
    done: int
    total: int


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        if not self.path.is_file():
            raise FileNotFoundError(f"no study at {self.path}; create one with `finevq study create`")
        version = self.meta().get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"{self.path}: study schema {version!r}, this finevq reads {SCHEMA_VERSION!r}")

    @classmethod
    def create(cls, path: str | Path, repeats: int = 3, seed: int | None = None) -> "Store":
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path} exists; add videos to it with `finevq study add`")
        con = sqlite3.connect(path, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript("BEGIN;" + _SCHEMA + "COMMIT;")
            meta = {
                "schema_version": SCHEMA_VERSION,
                "created_at": _now(),
                "repeats": str(repeats),
                "seed": str(seed if seed is not None else secrets.randbits(32)),
            }
            con.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        finally:
            con.close()
        return cls(path)

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, kept open: closing the last connection to a WAL database
        checkpoints and deletes the log, which would cost a sync on every request."""
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
        return con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        con = self._connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def meta(self) -> dict[str, str]:
        return dict(self._connection().execute("SELECT key, value FROM meta"))

    # -- videos ---------------------------------------------------------------------------

    def stored_path(self, path: Path) -> str:
        """Relative to the study's folder when inside it, so the folder can move as a whole."""
        path = path.resolve()
        try:
            return path.relative_to(self.path.resolve().parent).as_posix()
        except ValueError:
            return path.as_posix()

    def resolve(self, stored: str) -> Path:
        return self.path.resolve().parent / stored

    def add_videos(self, paths: list[Path], role: str = "rate") -> tuple[list[Video], list[Video]]:
        """Add videos; returns those added and those that were already in the study.

        Rated videos are also slotted into the queue of every annotator who already started,
        at a random place after the video they are on, so a running study picks them up.
        """
        added: list[Video] = []
        existing: list[Video] = []
        with self._write() as con:
            seed = dict(con.execute("SELECT key, value FROM meta"))["seed"]
            for path in paths:
                stored = self.stored_path(path)
                row = con.execute(
                    "SELECT id, path, role, mime, expected_distortions, note FROM videos WHERE path = ?", (stored,)
                ).fetchone()
                if row:
                    existing.append(Video(*row))
                    continue
                cur = con.execute(
                    "INSERT INTO videos (path, role, mime, added_at) VALUES (?, ?, ?, ?)",
                    (stored, role, mime_type(stored), _now()),
                )
                added.append(Video(cur.lastrowid, stored, role, mime_type(stored)))
                if role != "example":
                    self._slot_into_queues(con, cur.lastrowid, seed)
        return added, existing

    @staticmethod
    def _slot_into_queues(con: sqlite3.Connection, video_id: int, seed: str) -> None:
        for (annotator_id,) in con.execute("SELECT id FROM annotators").fetchall():
            rng = random.Random(f"{seed}:{annotator_id}:{video_id}")
            rated_max, = con.execute(
                "SELECT MAX(a.position) FROM assignments a JOIN responses r ON r.assignment_id = a.id"
                " WHERE a.annotator_id = ?",
                (annotator_id,),
            ).fetchone()
            floor = -1.0 if rated_max is None else rated_max
            open_slots = [
                p for (p,) in con.execute(
                    "SELECT position FROM assignments WHERE annotator_id = ? AND position > ? ORDER BY position",
                    (annotator_id, floor),
                )
            ]
            if not open_slots:
                position = floor + 1.0
            else:
                # never before the slot on screen now: the page showing it must stay valid
                k = rng.randint(1, len(open_slots))
                upper = open_slots[k] if k < len(open_slots) else open_slots[-1] + 2.0
                position = (open_slots[k - 1] + upper) / 2.0
            con.execute(
                "INSERT INTO assignments (annotator_id, video_id, position) VALUES (?, ?, ?)",
                (annotator_id, video_id, position),
            )

    def set_reference(self, video_id: int, reference: Reference, role: str) -> None:
        """Turn a video into a control or a training example with the owner's stated levels.

        Only before anyone rated: a role change mid-study would silently change the queues.
        """
        with self._write() as con:
            if con.execute("SELECT 1 FROM annotators").fetchone():
                raise Conflict("controls and examples can only be set before the first annotator starts")
            con.execute(
                "UPDATE videos SET role = ?, expected_distortions = ?, note = ? WHERE id = ?",
                (role, ";".join(reference.distortions), reference.note, video_id),
            )
            con.execute("DELETE FROM expected_levels WHERE video_id = ?", (video_id,))
            con.executemany(
                "INSERT INTO expected_levels VALUES (?, ?, ?)",
                [(video_id, dim.value, index) for dim, index in reference.levels.items()],
            )

    def videos(self, *roles: str) -> list[Video]:
        roles = roles or ROLES
        marks = ",".join("?" * len(roles))
        con = self._connection()
        rows = con.execute(
            f"SELECT id, path, role, mime, expected_distortions, note FROM videos WHERE role IN ({marks}) ORDER BY id",
            roles,
        ).fetchall()
        return [Video(*row) for row in rows]

    def video(self, video_id: int) -> Video:
        con = self._connection()
        row = con.execute(
            "SELECT id, path, role, mime, expected_distortions, note FROM videos WHERE id = ?", (video_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"unknown video id {video_id}")
        return Video(*row)

    def expected_levels(self, video_id: int) -> dict[str, int]:
        """Dimension -> level index the owner stated for a control or an example."""
        rows = self._connection().execute(
            "SELECT dimension, level_index FROM expected_levels WHERE video_id = ?", (video_id,)
        )
        return dict(rows)

    # -- annotators -----------------------------------------------------------------------

    def open_session(self, name: str) -> Annotator:
        """The annotator with this name, created with a fresh queue on first visit.

        Names are matched case-insensitively so that "Ana" on another device resumes Ana's
        queue; the study trusts its annotators (a lab or an invited panel), see docs/study.md.
        """
        name = " ".join(name.split())
        if not name:
            raise StudyError("a name is needed")
        key = name.casefold()
        with self._write() as con:
            row = con.execute("SELECT id, name, token FROM annotators WHERE name_key = ?", (key,)).fetchone()
            if row:
                return Annotator(*row)
            token = secrets.token_urlsafe(16)
            cur = con.execute(
                "INSERT INTO annotators (name, name_key, token, created_at) VALUES (?, ?, ?, ?)",
                (name, key, token, _now()),
            )
            self._plan_queue(con, cur.lastrowid)
            return Annotator(cur.lastrowid, name, token)

    def annotator(self, token: str) -> Annotator:
        con = self._connection()
        row = con.execute("SELECT id, name, token FROM annotators WHERE token = ?", (token,)).fetchone()
        if row is None:
            raise NotFound("unknown annotator token")
        return Annotator(*row)

    @staticmethod
    def _plan_queue(con: sqlite3.Connection, annotator_id: int) -> None:
        """A random order per annotator; controls and repeat sources early, repeats hidden later."""
        meta = dict(con.execute("SELECT key, value FROM meta"))
        rng = random.Random(f"{meta['seed']}:{annotator_id}")
        rows = con.execute("SELECT id, role FROM videos WHERE role != 'example' ORDER BY id").fetchall()
        controls = [v for v, role in rows if role == "control"]
        others = [v for v, role in rows if role != "control"]
        rng.shuffle(controls)
        rng.shuffle(others)
        repeats = (controls + others)[: int(meta["repeats"])]
        early = list(dict.fromkeys(controls + repeats))
        order = [v for v in others if v not in early]
        head = max(HEAD, 2 * len(early))
        # ascending inserts leave each early video at its drawn slot
        slots = sorted(rng.sample(range(min(head, len(order) + len(early))), len(early)))
        for slot, v in zip(slots, early):
            order.insert(slot, v)
        for v in repeats:
            first = order.index(v)
            low = min(first + 1 + GAP, len(order))
            order.insert(rng.randint(low, min(low + head, len(order))), v)
        con.executemany(
            "INSERT INTO assignments (annotator_id, video_id, position) VALUES (?, ?, ?)",
            [(annotator_id, v, float(i)) for i, v in enumerate(order)],
        )

    # -- rating ---------------------------------------------------------------------------

    def progress(self, annotator_id: int) -> Progress:
        con = self._connection()
        done, total = con.execute(
            "SELECT COUNT(r.id), COUNT(a.id) FROM assignments a LEFT JOIN responses r ON r.assignment_id = a.id"
            " WHERE a.annotator_id = ?",
            (annotator_id,),
        ).fetchone()
        return Progress(done, total)

    def next_assignment(self, annotator_id: int) -> tuple[int, Video] | None:
        """The first unrated slot of the queue: what a returning annotator continues with."""
        con = self._connection()
        row = con.execute(
            "SELECT a.id, a.video_id FROM assignments a LEFT JOIN responses r ON r.assignment_id = a.id"
            " WHERE a.annotator_id = ? AND r.id IS NULL ORDER BY a.position LIMIT 1",
            (annotator_id,),
        ).fetchone()
        return None if row is None else (row[0], self.video(row[1]))

    def submit(
        self,
        annotator_id: int,
        assignment_id: int,
        video_id: int,
        answer: Answer,
        page_version: str,
        duration_ms: int | None = None,
        plays: int | None = None,
    ) -> int:
        """Save one video's answer; the slot must be the annotator's, for that video, unrated."""
        with self._write() as con:
            if not con.execute("SELECT 1 FROM videos WHERE id = ? AND role != 'example'", (video_id,)).fetchone():
                raise NotFound(f"unknown video id {video_id}")
            slot = con.execute(
                "SELECT annotator_id, video_id FROM assignments WHERE id = ?", (assignment_id,)
            ).fetchone()
            if slot is None or slot[0] != annotator_id:
                raise NotFound(f"assignment {assignment_id} is not in this annotator's queue")
            if slot[1] != video_id:
                raise Conflict(f"assignment {assignment_id} is for video {slot[1]}, not {video_id}")
            if con.execute("SELECT 1 FROM responses WHERE assignment_id = ?", (assignment_id,)).fetchone():
                raise Conflict(f"assignment {assignment_id} is already rated")
            cur = con.execute(
                "INSERT INTO responses (assignment_id, submitted_at, page_version, duration_ms, plays)"
                " VALUES (?, ?, ?, ?, ?)",
                (assignment_id, _now(), page_version, duration_ms, plays),
            )
            response_id = cur.lastrowid
            con.executemany(
                "INSERT INTO response_levels VALUES (?, ?, ?, ?)",
                [(response_id, dim.value, i, levels_for(dim)[i]) for dim, i in answer.levels.items()],
            )
            con.executemany(
                "INSERT INTO response_ticks VALUES (?, ?, ?, ?)",
                [
                    (response_id, dim.value, name, answer.notes.get(name, ""))
                    for dim, names in answer.ticks.items()
                    for name in names
                ],
            )
        return response_id

    # -- export for the MOS computation ---------------------------------------------------

    def snapshot(self) -> "Snapshot":
        """Everything the MOS computation reads, from one read transaction: answers saved while
        it runs are either wholly in or wholly out."""
        con = self._connection()
        con.execute("BEGIN")
        try:
            return Snapshot(
                videos=[Video(*r) for r in con.execute(
                    "SELECT id, path, role, mime, expected_distortions, note FROM videos"
                    " WHERE role != 'example' ORDER BY id"
                )],
                annotators=[Annotator(*r) for r in con.execute("SELECT id, name, token FROM annotators ORDER BY id")],
                expected=con.execute(
                    "SELECT e.video_id, e.dimension, e.level_index FROM expected_levels e"
                    " JOIN videos v ON v.id = e.video_id WHERE v.role = 'control'"
                ).fetchall(),
                responses=con.execute(
                    "SELECT r.id, a.annotator_id, a.video_id, r.duration_ms FROM responses r"
                    " JOIN assignments a ON a.id = r.assignment_id ORDER BY r.id"
                ).fetchall(),
                levels=con.execute("SELECT response_id, dimension, level_index FROM response_levels").fetchall(),
                ticks=con.execute("SELECT response_id, dimension, type, note FROM response_ticks").fetchall(),
            )
        finally:
            con.execute("COMMIT")


@dataclass(frozen=True)
class Snapshot:
    videos: list[Video]
    annotators: list[Annotator]
    #: (video_id, dimension, level_index) stated for control videos.
    expected: list[tuple[int, str, int]]
    #: (response_id, annotator_id, video_id, duration_ms), oldest first: the first answer per
    #: annotator and video is the one that counts, later ones are the hidden repeats.
    responses: list[tuple[int, int, int, int | None]]
    levels: list[tuple[int, str, int]]
    ticks: list[tuple[int, str, str, str]]
