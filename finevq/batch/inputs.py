"""Turn what the user names (files, folders, manifests, stdin) into one list of jobs.

Every job carries a key that says which version of the file was assessed, so a re-run can
skip what is already done and still notice a file that was replaced in the meantime.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .request import MANIFEST_SUFFIXES
from .rows import RESULT_COLUMNS

#: Without --include a folder yields only these, so sidecar files (.json, .srt, thumbnails)
#: do not turn into a wall of `not_a_video` failures.
VIDEO_SUFFIXES = (
    ".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".flv",
    ".3gp", ".mpg", ".mpeg", ".wmv", ".ogv", ".y4m", ".mxf",
)  # fmt: skip
PATH_COLUMNS = ("video", "path")


class InputError(ValueError):
    """The inputs themselves are unusable (bad manifest, missing folder): nothing was assessed."""


@dataclass(frozen=True)
class Job:
    path: str
    key: str
    extras: dict = field(default_factory=dict)


@dataclass
class Jobs:
    jobs: list[Job]
    #: Manifest columns in first-seen order (the output keeps it) with their one Python type (None: always empty).
    extra_types: dict[str, type | None]
    #: Inputs that named a video already listed (same path and key): assessed once.
    duplicates: int = 0


def file_key(path: str, content_hash: bool) -> str:
    """size:mtime is free and catches almost every change; sha256 also survives copies that reset mtime."""
    try:
        if content_hash:
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
            return "sha256:" + digest.hexdigest()
        st = os.stat(path)
        return f"{st.st_size}:{st.st_mtime_ns}"
    except OSError:  # missing or unreadable: the assessor records why; the key changes once it is fixed
        return "unreadable"


def collect(inputs: Sequence[str], include: Sequence[str] = (), content_hash: bool = False, stdin: io.TextIOBase | None = None) -> Jobs:
    extra_columns: list[str] = []
    entries: list[tuple[str, dict]] = []
    for name in inputs:
        if name == "-":
            entries += _read_stdin(stdin or sys.stdin, extra_columns)
        elif Path(name).suffix.lower() in MANIFEST_SUFFIXES:
            entries += _read_manifest(Path(name), extra_columns)
        elif Path(name).is_dir():
            entries += [(p, {}) for p in _walk(Path(name), include)]
        else:
            entries.append((str(Path(name)), {}))  # './a.mp4' and 'a.mp4' must resume as the same video
    extra_types = _harmonize(entries, extra_columns)
    seen: set[tuple[str, str]] = set()
    jobs = []
    for path, extras in entries:
        job = Job(path, file_key(path, content_hash), extras)
        if (job.path, job.key) in seen:
            continue
        seen.add((job.path, job.key))
        jobs.append(job)
    return Jobs(jobs, extra_types, duplicates=len(entries) - len(jobs))


def _walk(root: Path, include: Sequence[str]) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            wanted = any(fnmatch.fnmatch(name, pattern) for pattern in include) if include else name.lower().endswith(VIDEO_SUFFIXES)
            if wanted:
                found.append(os.path.join(folder, name))
    return sorted(found)


def _read_manifest(path: Path, extra_columns: list[str]) -> list[tuple[str, dict]]:
    """Relative video paths are taken relative to the manifest, so a manifest travels with its videos."""
    if not path.is_file():
        raise InputError(f"manifest not found: {path}")
    with open(path, newline="", encoding="utf-8") as fh:
        records = _records(fh, json_lines=path.suffix.lower() != ".csv", source=str(path))
    return _entries(records, path.parent, extra_columns, str(path))


def _read_stdin(stream: io.TextIOBase, extra_columns: list[str]) -> list[tuple[str, dict]]:
    """One path per line, or JSON lines (detected by a leading '{') for paths with extra columns."""
    text = stream.read()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith("{"):
        return _entries(_records(io.StringIO(text), json_lines=True, source="stdin"), Path(), extra_columns, "stdin")
    return [(str(Path(line)), {}) for line in lines]


def _records(fh: io.TextIOBase, json_lines: bool, source: str) -> Iterable[dict]:
    if not json_lines:
        return list(csv.DictReader(fh))
    records = []
    for number, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{source} line {number}: not JSON ({error})") from None
        if not isinstance(record, dict):
            raise InputError(f"{source} line {number}: expected a JSON object")
        records.append(record)
    return records


def _entries(records: Iterable[dict], base: Path, extra_columns: list[str], source: str) -> list[tuple[str, dict]]:
    entries = []
    for number, record in enumerate(records, 1):
        column = next((c for c in PATH_COLUMNS if c in record), None)
        if column is None:
            raise InputError(f"{source}: record {number} has no 'video' or 'path' column")
        value = record[column]
        if not isinstance(value, str) or not value:
            raise InputError(f"{source}: record {number} has an empty {column!r}")
        extras = {k: v for k, v in record.items() if k != column}
        for name in extras:
            if name in RESULT_COLUMNS:
                raise InputError(f"{source}: column {name!r} clashes with a result column; rename it in the manifest")
            if name not in extra_columns:
                extra_columns.append(name)
        entries.append((str(base / value), extras))
    return entries


def _harmonize(entries: list[tuple[str, dict]], extra_columns: list[str]) -> dict[str, type | None]:
    """Give every extra column one type (Parquet needs it): numbers stay numbers, anything mixed becomes text."""
    types: dict[str, type | None] = {}
    for name in extra_columns:
        kinds = {type(extras[name]) for _, extras in entries if extras.get(name) is not None}
        if len(kinds) <= 1 and kinds <= {str, bool, int, float}:
            types[name] = next(iter(kinds), None)
            continue
        cast = types[name] = float if kinds == {int, float} else str
        for _, extras in entries:
            if extras.get(name) is not None:
                extras[name] = float(extras[name]) if cast is float else _as_text(extras[name])
    return types


def _as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
