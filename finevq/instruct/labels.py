"""The labels file shared across finevq: one CSV row per video, read into `VideoFacts` and written back.

Columns: ``video``; the six scores (0-100, higher is better); optional ``<dim>_level``
words; optional ``distortions`` ("a;b", any taxonomy alias, written canonically); optional
``distortion_levels`` ("gaussian blur:4;over dark:2", 1-5); and, when the labels come from
assessments, ``most_impactful`` (a dimension or "none"; derived from the scores when absent),
``stalls`` (StallSummary JSON), ``events`` (JSON list of timeline events), ``duration`` and
``frame_count``. Other columns are ignored, so a richer file still reads.
Bad cells fail loudly with their row number: silently dropped labels would become silently
wrong training data.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence, TypeVar

from pydantic import TypeAdapter

from ..schema import Event, StallSummary
from ..taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, Dimension, distortion, level_of, levels_for
from .facts import VideoFacts, dominant_dimension, rank_types

_EVENTS = TypeAdapter(list[Event])


class LabelsError(ValueError):
    """A labels file that cannot be read as labels; the message names the row and column."""


T = TypeVar("T")


def read_labels(path: str | Path) -> list[VideoFacts]:
    return parse_rows(path, ("video", *map(str, DIMENSIONS)), lambda row, columns: facts_from_row(row, types_listed(columns)))


def parse_rows(path: str | Path, required: Sequence[str], parse: Callable[[dict[str, str], frozenset[str]], T]) -> list[T]:
    """Read a file in the labels layout with any row parser, so every reader of it checks
    columns and names the row of a bad cell the same way."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = frozenset(reader.fieldnames or ())
        missing = [c for c in required if c not in columns]
        if missing:
            raise LabelsError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = []
        for number, row in enumerate(reader, start=2):
            try:
                rows.append(parse(row, columns))
            except (ValueError, KeyError) as exc:
                raise LabelsError(f"{path}, row {number}: {exc}") from None
    return rows


def types_listed(columns: Iterable[str]) -> bool:
    """Whether the file labels distortion types at all, so an empty cell means "none present"."""
    return not {"distortions", "distortion_levels"}.isdisjoint(columns)


def parse_video(row: dict[str, str]) -> str:
    video = (row.get("video") or "").strip()
    if not video:
        raise ValueError("empty video path")
    return video


def parse_score(row: dict[str, str], dim: Dimension) -> float:
    score = float(row[str(dim)])
    if not 0.0 <= score <= 100.0:
        raise ValueError(f"{dim} score {score} is outside 0-100")
    return score


def parse_types(row: dict[str, str]) -> tuple[tuple[str, ...], dict[str, int]]:
    """The present types, most severe first, and the 1-5 levels of those that have one."""
    severities = _severities(row.get("distortion_levels") or "")
    names = [distortion(n).name for n in (row.get("distortions") or "").split(";") if n.strip()]
    names += [n for n in severities if n not in names]
    return rank_types(names, severities), severities


def parse_most_impactful(cell: str) -> Dimension | None:
    """A distortion dimension, or None for "none" (quality is good)."""
    chosen = cell.strip().lower()
    if chosen == "none":
        return None
    dim = Dimension(chosen)
    if dim not in DISTORTION_DIMENSIONS:
        raise ValueError(f"most_impactful must be one of {', '.join(map(str, DISTORTION_DIMENSIONS))} or 'none'")
    return dim


def facts_from_row(row: dict[str, str], types_known: bool) -> VideoFacts:
    video = parse_video(row)
    scores, levels = {}, {}
    for dim in DIMENSIONS:
        scores[dim] = parse_score(row, dim)
        word = (row.get(f"{dim}_level") or "").strip().lower()
        if word and word not in levels_for(dim):
            raise ValueError(f"{dim}_level {word!r} is not one of {', '.join(levels_for(dim))}")
        levels[dim] = word or level_of(dim, scores[dim])
    names, severities = parse_types(row)
    facts = VideoFacts(
        video=video,
        scores=scores,
        levels=levels,
        distortions=names if types_known else None,
        severities=severities,
        events=tuple(_EVENTS.validate_json(row["events"])) if (row.get("events") or "").strip() else None,
        stalls=StallSummary.model_validate_json(row["stalls"]) if (row.get("stalls") or "").strip() else None,
        duration=float(row["duration"]) if (row.get("duration") or "").strip() else None,
        frame_count=int(row["frame_count"]) if (row.get("frame_count") or "").strip() else None,
    )
    chosen = row.get("most_impactful") or ""
    return replace(facts, most_impactful=parse_most_impactful(chosen) if chosen.strip() else dominant_dimension(facts))


def _severities(cell: str) -> dict[str, int]:
    severities: dict[str, int] = {}
    for item in filter(str.strip, cell.split(";")):
        name, sep, value = item.rpartition(":")
        if not sep:
            raise ValueError(f"distortion_levels item {item!r} is not 'type:level'")
        level = int(value)
        if not 1 <= level <= 5:
            raise ValueError(f"distortion level {level} for {name.strip()!r} is outside 1-5")
        severities[distortion(name).name] = level
    return severities


def write_labels(facts: Iterable[VideoFacts], path: str | Path) -> Path:
    """Write facts in the labels layout, so SIG's assessor labels can be reviewed and reused."""
    header = ["video", *map(str, DIMENSIONS), *(f"{d}_level" for d in DIMENSIONS), "distortions",
              "distortion_levels", "most_impactful", "stalls", "events", "duration", "frame_count"]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for f in facts:
            writer.writerow([
                f.video,
                *(f"{f.scores[d]:.2f}" for d in DIMENSIONS),
                *(f.levels[d] for d in DIMENSIONS),
                ";".join(f.distortions or ()),
                ";".join(f"{n}:{s}" for n, s in f.severities.items()),
                f.most_impactful or "none",
                f.stalls.model_dump_json() if f.stalls else "",
                json.dumps([e.model_dump(mode="json") for e in f.events]) if f.events is not None else "",
                "" if f.duration is None else f"{f.duration:.3f}",
                "" if f.frame_count is None else f.frame_count,
            ])
    return path

