"""Where results go, written so that a batch killed at any moment can be resumed.

The rule everywhere: a result is durable once one `write()` of its whole JSON line has
been fsync'd. JSONL output is exactly that. Parquet cannot be appended to safely (its
footer is written last), so Parquet outputs keep a JSONL journal while the batch runs
and turn it into row groups when the run ends: the journal is the commit log, and a
Parquet file only ever appears through an atomic rename. Readers merge both, so a batch
in progress can already be summarized.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from .rows import KEY_COLUMNS, arrow_schema, rows_to_table

#: Rows per Parquet row group: big enough for fast scans, small enough to stream.
ROW_GROUP_ROWS = 1000
JOURNAL_DIR_NAME = "_journal.jsonl"


class StoreError(RuntimeError):
    """The output exists but is not something finevq can resume (or read)."""


def output_kind(output: str | os.PathLike) -> str:
    """'jsonl', 'parquet' (one file) or 'dir' (a folder of Parquet parts, the layout Ray writes)."""
    text = os.fspath(output)
    suffix = Path(text).suffix.lower()
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return "dir"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".parquet":
        return "parquet"
    if not suffix:
        return "dir"
    raise StoreError(f"cannot write results to {text!r}: use a .jsonl or .parquet file, or a folder")


def open_store(output: str | os.PathLike, extra_types: dict[str, type | None]) -> "JsonlStore | ParquetStore":
    kind = output_kind(output)
    if kind == "jsonl":
        return JsonlStore(Path(output))
    _require("pyarrow", "Parquet output")
    return ParquetStore(Path(output), extra_types, directory=kind == "dir")


def _require(module: str, feature: str) -> None:
    """pandas and pyarrow are the `batch` extra: JSONL batches run without them."""
    try:
        __import__(module)
    except ImportError:
        raise StoreError(f"{feature} needs {module}: pip install 'finevq[batch]'") from None


class JsonlLog:
    """An append-only JSON-lines file, locked against a second writer; a torn last line is cut off on open."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise StoreError(f"another finevq batch is writing to {path}") from None
        try:
            intact = sum(len(line) for line, _ in _lines(path))
        except StoreError:
            os.close(self._fd)
            raise
        if intact != os.fstat(self._fd).st_size:
            os.ftruncate(self._fd, intact)
            os.fsync(self._fd)

    def rows(self) -> Iterator[dict]:
        return (row for _, row in _lines(self.path))

    def append(self, row: dict) -> None:
        data = (json.dumps(row, ensure_ascii=False) + "\n").encode()
        written = os.write(self._fd, data)
        while written < len(data):  # a short write to a regular file is rare; finish the same line
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


def _lines(path: Path) -> Iterator[tuple[bytes, dict]]:
    """The intact rows of a JSON-lines file, streamed.

    Only the last line can be torn (each line is one write(), fsync'd before the next), so
    it is skipped; damage anywhere else means something else wrote the file: refuse it.
    """
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("torn")
                row = json.loads(line)
            except ValueError:
                if fh.read().strip():
                    raise StoreError(f"{path}: line {number} is damaged; refusing to use this file") from None
                return
            if not isinstance(row, dict) or not {"path", "key", "error_code"} <= row.keys():
                raise StoreError(f"{path}: line {number} is not a finevq batch row (plain `finevq assess -f jsonl` output?); use another --output")
            yield line, row


class JsonlStore:
    def __init__(self, path: Path):
        self.notes: list[str] = []
        self._log = JsonlLog(path)
        self.done = {(r["path"], r["key"]): r["error_code"] for r in self._log.rows()}

    def append(self, row: dict) -> None:
        self._log.append(row)
        self.done[(row["path"], row["key"])] = row["error_code"]

    def close(self) -> None:
        self._log.close()


class ParquetStore:
    """A Parquet file or folder plus its journal; `close()` commits the journal as row groups."""

    def __init__(self, target: Path, extra_types: dict[str, type | None], directory: bool):
        self.target = target
        self.directory = directory
        self.schema = arrow_schema(extra_types)
        self.notes: list[str] = []
        if directory:
            target.mkdir(parents=True, exist_ok=True)
            journal = target / JOURNAL_DIR_NAME
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            journal = target.with_name(target.name + ".journal.jsonl")
        self._journal = JsonlLog(journal)
        for stale in target.glob(".*.tmp") if directory else target.parent.glob(f".{target.name}.*.tmp"):
            stale.unlink()  # a commit killed before its rename: the journal still holds its rows
        try:
            self.committed = {(r["path"], r["key"]): r["error_code"] for r in self._committed_keys()}
        except StoreError:
            self._journal.close()
            raise
        self.done = dict(self.committed)
        self.done.update({(r["path"], r["key"]): r["error_code"] for r in self._journal.rows()})

    def _parts(self) -> list[Path]:
        if not self.directory:
            return [self.target] if self.target.exists() else []
        return _parts_of(self.target, self.notes)

    def _committed_keys(self) -> list[dict]:
        import pyarrow.parquet as pq

        rows: list[dict] = []
        for part in self._parts():
            try:
                rows += pq.read_table(part, columns=[*KEY_COLUMNS, "error_code"]).to_pylist()
            except Exception as error:  # noqa: BLE001 (pyarrow raises several types for a bad file)
                raise StoreError(f"{part}: not a readable finevq results file ({error})") from None
        return rows

    def append(self, row: dict) -> None:
        self._journal.append(row)
        self.done[(row["path"], row["key"])] = row["error_code"]

    def close(self) -> None:
        """Commit, then drop the journal; a kill in between leaves rows in both, which the next open skips."""
        if any((r["path"], r["key"]) not in self.committed for r in self._journal.rows()):
            self._commit(r for r in self._journal.rows() if (r["path"], r["key"]) not in self.committed)
        self._journal.path.unlink()
        _fsync_dir(self._journal.path.parent)
        self._journal.close()

    def _commit(self, rows: Iterable[dict]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        folder = self.target if self.directory else self.target.parent
        name = f"part-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.parquet" if self.directory else self.target.name
        tmp = folder / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
        old = None if self.directory or not self.target.exists() else pq.ParquetFile(self.target)
        schema = self.schema if old is None else pa.unify_schemas([old.schema_arrow, self.schema], promote_options="permissive")
        with pq.ParquetWriter(tmp, schema) as writer:
            if old is not None:
                for group in range(old.num_row_groups):
                    writer.write_table(_conform(old.read_row_group(group), schema))
            for group in _chunks(rows, ROW_GROUP_ROWS):
                writer.write_table(rows_to_table(group, schema))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, folder / name)
        _fsync_dir(folder)


def _conform(table, schema):
    """The table in the (possibly wider) schema: a manifest column new in this run is null in older rows."""
    import pyarrow as pa

    columns = [table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def _chunks(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    group: list[dict] = []
    for row in rows:
        group.append(row)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


def _parts_of(folder: Path, notes: list[str]) -> list[Path]:
    """The folder's Parquet parts; a part torn by a killed writer (no footer) is set aside, since its rows will be redone."""
    import pyarrow.parquet as pq

    parts = []
    for part in sorted(folder.glob("*.parquet")):
        try:
            pq.read_metadata(part)
        except Exception:  # noqa: BLE001
            part.rename(part.with_name(part.name + ".torn"))
            notes.append(f"set aside an unreadable part, its videos will be assessed again: {part.name}.torn")
            continue
        parts.append(part)
    return parts


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_results(output: str | os.PathLike, columns: list[str] | None = None):
    """All rows of a results file or folder as a pandas DataFrame, journal included, one row per (path, key).

    Read-only: a torn journal line or part is skipped here, not repaired. `columns` (besides
    path and key, always read) keeps a large output's Assessment JSON off the heap.
    """
    _require("pandas", "reading results")
    _require("pyarrow", "reading results")
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    result_schema = arrow_schema({})
    path = Path(output)
    kind = output_kind(path)
    journal = {"jsonl": path, "parquet": path.with_name(path.name + ".journal.jsonl"), "dir": path / JOURNAL_DIR_NAME}[kind]
    if not path.exists() and not journal.exists():
        raise StoreError(f"no results at {path}")
    wanted = None if columns is None else list(dict.fromkeys([*KEY_COLUMNS, *columns]))
    parts = [] if kind == "jsonl" else [path] if kind == "parquet" and path.exists() else sorted(path.glob("*.parquet"))
    tables = []
    for part in parts:
        try:
            tables.append(pq.read_table(part, columns=wanted))
        except Exception:  # noqa: BLE001  (a part being written, or torn; a resumed batch sets it aside)
            if kind == "parquet":
                raise
    journal_rows = [row for _, row in _lines(journal)]
    if journal_rows:
        table = pa.Table.from_pylist(journal_rows)
        table = table.select(wanted) if wanted else table
        typed = pa.schema([result_schema.field(f.name) if f.name in result_schema.names else f for f in table.schema])
        tables.append(table.cast(typed))  # an all-null column would otherwise come back typed null, not string
    if not tables:
        return pd.DataFrame(columns=wanted or list(KEY_COLUMNS))
    table = pa.concat_tables(tables, promote_options="permissive")
    frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    return frame.drop_duplicates(subset=list(KEY_COLUMNS), keep="last").reset_index(drop=True)
