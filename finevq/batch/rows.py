"""One result row per video, the same whichever engine or output format produced it.

The full Assessment JSON is kept for anything a later reader may want; the scores and
levels are also flattened into columns so that pandas, DuckDB or a spreadsheet can
filter and aggregate without parsing JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..schema import Assessment
from ..taxonomy import DIMENSIONS

if TYPE_CHECKING:
    from .inputs import Job

#: Column name -> Arrow type name; the order is the output's column order (after path, key and the manifest's extras).
_TYPES: dict[str, str] = {
    "path": "string",
    "key": "string",
    "ok": "bool",
    "error_code": "string",
    "error_message": "string",
    **{f"{dim}_{part}": kind for dim in DIMENSIONS for part, kind in (("score", "float64"), ("level", "string"))},
    "most_impactful": "string",
    "frame_count": "int64",
    "duration": "float64",
    "width": "int64",
    "height": "int64",
    "model": "string",
    "assessment": "string",
}
RESULT_COLUMNS = tuple(_TYPES)
KEY_COLUMNS = ("path", "key")


def result_row(job: Job, assessment: Assessment, extra_columns: list[str]) -> dict:
    a = assessment
    row = {"path": job.path, "key": job.key}
    row.update({name: job.extras.get(name) for name in extra_columns})
    row.update(
        ok=a.ok,
        error_code=a.error.code if a.error else None,
        error_message=a.error.message if a.error else None,
    )
    for dim in DIMENSIONS:
        result = a.dimensions[dim] if a.dimensions else None
        row[f"{dim}_score"] = result.score if result else None
        row[f"{dim}_level"] = result.level if result else None
    row.update(
        most_impactful=a.most_impactful.value if a.most_impactful else None,
        frame_count=a.info.frame_count if a.info else None,
        duration=a.info.duration if a.info else None,
        width=a.info.width if a.info else None,
        height=a.info.height if a.info else None,
        model=f"{a.model.name} {a.model.version}",
        assessment=a.to_json(),
    )
    return row


def arrow_schema(extra_types: dict[str, type | None]):
    """Fixed types rather than inferred ones, so a row group where every video failed (all-null scores) still matches the rest."""
    import pyarrow as pa

    python_to_arrow = {str: pa.string(), bool: pa.bool_(), int: pa.int64(), float: pa.float64()}
    fields = [pa.field(name, pa.type_for_alias(kind)) for name, kind in _TYPES.items()]
    extras = [pa.field(name, python_to_arrow.get(kind, pa.string())) for name, kind in extra_types.items()]
    return pa.schema(fields[:2] + extras + fields[2:])


def rows_to_table(rows: list[dict], schema):
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=schema)
