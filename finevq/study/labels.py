"""Turn a study file into MOS labels: arrays out of SQLite, `mos.compute`, rows in the labels layout.

The labels layout is shared with train/evaluate/instruct, so its leading columns are fixed
(`LABEL_COLUMNS`); what only the study knows (per-type tick shares, free-text notes) goes
in extra columns after them.
"""

from __future__ import annotations

import csv
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..taxonomy import DIMENSIONS, DISTORTION_TYPES, level_of
from .mos import MosResult, ScreeningConfig, compute
from .store import Annotator, Snapshot, Video

LABEL_COLUMNS: tuple[str, ...] = (
    "video",
    *(d.value for d in DIMENSIONS),
    *(f"{d}_level" for d in DIMENSIONS),
    *(f"{d}_ci95" for d in DIMENSIONS),
    "distortions",
    "n_raters",
)
#: A type is a video's distortion when at least this share of its accepted raters ticked it.
MAJORITY = 0.5
TYPE_NAMES: tuple[str, ...] = tuple(t.name for t in DISTORTION_TYPES)


def share_column(type_name: str) -> str:
    return type_name.replace(" ", "_") + "_share"


EXTRA_COLUMNS: tuple[str, ...] = (*(share_column(t) for t in TYPE_NAMES), "other_notes")


@dataclass
class StudyMos:
    videos: list[Video]
    annotators: list[Annotator]
    result: MosResult
    config: ScreeningConfig
    #: free text of ticked "other ..." types by accepted raters, per video index.
    notes: list[list[str]]
    #: median seconds an annotator spent per video (NaN when the page sent no timings).
    median_seconds: list[float]

    def labelled(self) -> list[int]:
        """Indices of videos with a MOS in every dimension; the rest have no accepted answers yet."""
        return [i for i in range(len(self.videos)) if np.isfinite(self.result.mos[i]).all()]


def analyse(snap: Snapshot, cfg: ScreeningConfig = ScreeningConfig()) -> StudyMos:
    video_index = {v.id: i for i, v in enumerate(snap.videos)}
    subject_index = {a.id: i for i, a in enumerate(snap.annotators)}
    dim_index = {d.value: j for j, d in enumerate(DIMENSIONS)}
    type_index = {t: k for k, t in enumerate(TYPE_NAMES)}
    shape = (len(snap.annotators), len(snap.videos), len(DIMENSIONS))
    levels, repeats = np.full(shape, np.nan), np.full(shape, np.nan)
    ticks = np.zeros((*shape[:2], len(TYPE_NAMES)), dtype=bool)

    # the first answer per annotator and video counts; the second is the hidden repeat
    first: dict[int, tuple[int, int]] = {}
    second: dict[int, tuple[int, int]] = {}
    answers_so_far: dict[tuple[int, int], int] = {}
    durations: list[list[float]] = [[] for _ in snap.annotators]
    for response_id, annotator_id, video_id, duration_ms in snap.responses:
        key = (subject_index[annotator_id], video_index[video_id])
        nth = answers_so_far.get(key, 0)
        answers_so_far[key] = nth + 1
        if nth == 0:
            first[response_id] = key
        elif nth == 1:
            second[response_id] = key
        if duration_ms is not None:
            durations[key[0]].append(duration_ms / 1000.0)
    for response_id, dimension, level in snap.levels:
        for target, where in ((levels, first), (repeats, second)):
            if response_id in where:
                target[(*where[response_id], dim_index[dimension])] = level
    for response_id, _, type_name, _ in snap.ticks:
        if response_id in first:
            ticks[(*first[response_id], type_index[type_name])] = True

    expected = np.full(shape[1:], np.nan)
    for video_id, dimension, level in snap.expected:
        expected[video_index[video_id], dim_index[dimension]] = level

    result = compute(levels, ticks, expected, repeats, cfg)
    accepted = result.raters.accepted
    notes: list[list[str]] = [[] for _ in snap.videos]
    for response_id, _, _, note in snap.ticks:
        if note and response_id in first and accepted[first[response_id][0]]:
            notes[first[response_id][1]].append(note)
    return StudyMos(
        videos=snap.videos,
        annotators=snap.annotators,
        result=result,
        config=cfg,
        notes=notes,
        median_seconds=[statistics.median(d) if d else math.nan for d in durations],
    )


def _number(x: float) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.2f}"


def rows(study: StudyMos) -> list[dict[str, str]]:
    r = study.result
    out = []
    for i in study.labelled():
        mos = np.round(r.mos[i], 2)  # the level word must match the number as written
        row = {"video": study.videos[i].path}
        row |= {d.value: _number(mos[j]) for j, d in enumerate(DIMENSIONS)}
        row |= {f"{d}_level": level_of(d, mos[j]) for j, d in enumerate(DIMENSIONS)}
        row |= {f"{d}_ci95": _number(r.ci95[i, j]) for j, d in enumerate(DIMENSIONS)}
        row["distortions"] = ";".join(t for k, t in enumerate(TYPE_NAMES) if r.tick_share[i, k] >= MAJORITY)
        row["n_raters"] = str(int(r.n_raters[i]))
        row |= {share_column(t): _number(r.tick_share[i, k]) for k, t in enumerate(TYPE_NAMES)}
        row["other_notes"] = " | ".join(study.notes[i])
        out.append(row)
    return out


def write_labels(study: StudyMos, path: Path) -> int:
    """Write the labels CSV; returns the number of labelled videos."""
    table = rows(study)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=[*LABEL_COLUMNS, *EXTRA_COLUMNS])
        writer.writeheader()
        writer.writerows(table)
    return len(table)
