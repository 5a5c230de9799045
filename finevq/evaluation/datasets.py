"""Public VQA datasets as references, from their label files as published and videos as downloaded.

Each dataset has its own MOS scale and file naming; this registry is the one place that
knows them, so `finevq evaluate` compares every dataset on finevq's 0-100 scale. Label
files are passed explicitly (`labels=`) or found in the video root under the name given
in the registry, since the files live wherever the user put the download.

Scales: 1-5 MOS maps linearly, (m - 1) / 4 * 100. 0-100 MOS is kept. FineVD's MOS are
z-scores rescaled to about 50 ± 13 on a nominal 0-100 scale; the few below 0 (some noise
scores) are clipped to 0, the end of the scale they fell off. Clipping ties those videos
at 0, which moves rank correlations only where the labels themselves are least certain.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..instruct.labels import parse_rows
from ..taxonomy import DIMENSIONS, Dimension
from .references import Reference

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".mov")
#: How many missing videos an error names.
_EXAMPLES = 5


class DatasetError(ValueError):
    """A dataset that cannot be used as given: unknown name, label files or videos not found."""


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    #: The labels file looked for in the video root; "{dim}" is filled in for datasets
    #: with one file per dimension, which are found in the `labels` folder instead.
    labels: str
    #: The published MOS range (worst, best).
    scale: tuple[float, float]
    #: How the dataset names a video file: "<vid>" + this, looked for first.
    extension: str

    @property
    def per_dimension(self) -> bool:
        return "{dim}" in self.labels

    def to_score(self, mos: float) -> float:
        low, high = self.scale
        return min(100.0, max(0.0, (mos - low) * (100.0 / (high - low))))


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec("konvid1k", "KoNViD-1k", "konvid_1k.csv", (1.0, 5.0), ".mp4"),
        DatasetSpec("livevqc", "LIVE-VQC", "live_vqc.csv", (0.0, 100.0), ".mp4"),
        DatasetSpec("youtube_ugc", "YouTube-UGC", "youtube_ugc.csv", (1.0, 5.0), ".mkv"),
        DatasetSpec("lsvq", "LSVQ", "lsvq_test.csv", (0.0, 100.0), ".mp4"),
        DatasetSpec("finevd", "FineVD", "finevd_{dim}.csv", (0.0, 100.0), ".mp4"),
    )
}


def load_dataset(name: str, root: str | Path, labels: str | Path | None = None) -> list[Reference]:
    """References for every labelled video of a dataset, each resolved to a file under `root`.

    `labels` is the labels CSV (`vid,mos,...`), by default `<root>/<registry name>`; for
    FineVD it is the folder holding any of `finevd_<dim>.csv`, by default `root`. Every
    labelled video must be found, because evaluating on the part that happens to be there
    would silently change the benchmark.
    """
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    spec, root = DATASETS[name], Path(root)
    if not root.is_dir():
        raise DatasetError(f"{spec.title}: video root {root} is not a folder")
    if spec.per_dimension:
        scores = _per_dimension_scores(spec, Path(labels) if labels is not None else root)
    else:
        path = Path(labels) if labels is not None else root / spec.labels
        if not path.is_file():
            raise DatasetError(f"{spec.title}: labels file {path} not found (pass labels=, or put {spec.labels} in the video root)")
        scores = {vid: {Dimension.OVERALL: score} for vid, score in _read_mos(path, spec).items()}
    paths = _resolve(spec, root, list(scores))
    return [Reference(video=str(paths[vid]), scores=s) for vid, s in scores.items()]


def _read_mos(path: Path, spec: DatasetSpec) -> dict[str, float]:
    def parse(row: dict[str, str], _columns: frozenset[str]) -> tuple[str, float]:
        vid, mos = (row["vid"] or "").strip(), float(row["mos"])
        if not vid or not math.isfinite(mos):
            raise ValueError(f"needs a vid and a finite mos, got {row['vid']!r}, {row['mos']!r}")
        return vid, spec.to_score(mos)

    scores: dict[str, float] = {}
    for vid, score in parse_rows(path, ("vid", "mos"), parse):
        if vid in scores:
            raise DatasetError(f"{path}: video {vid!r} is listed twice")
        scores[vid] = score
    return scores


def _per_dimension_scores(spec: DatasetSpec, folder: Path) -> dict[str, dict[Dimension, float]]:
    files = {dim: folder / spec.labels.format(dim=dim) for dim in DIMENSIONS}
    found = {dim: path for dim, path in files.items() if path.is_file()}
    if not found:
        raise DatasetError(f"{spec.title}: none of {', '.join(p.name for p in files.values())} in {folder}")
    scores: dict[str, dict[Dimension, float]] = defaultdict(dict)
    for dim, path in found.items():
        for vid, score in _read_mos(path, spec).items():
            scores[vid][dim] = score
    return dict(scores)


def _resolve(spec: DatasetSpec, root: Path, vids: list[str]) -> dict[str, Path]:
    """`<root>/<vid><ext>` with the dataset's extension first; failing that, the same name
    anywhere below root, so a download's own folders (LIVE-VQC's Video/, KoNViD's nested
    archive folder) need no flattening. LSVQ's "batch/name" ids must match trailing folders."""
    order = (spec.extension, *(e for e in VIDEO_EXTENSIONS if e != spec.extension))
    found: dict[str, Path] = {}
    for vid in vids:
        direct = (root / f"{vid}{ext}" for ext in order)
        hit = next((p for p in direct if p.is_file()), None)
        if hit is not None:
            found[vid] = hit
    if len(found) < len(vids):
        below: dict[str, list[Path]] = defaultdict(list)
        for path in root.rglob("*"):
            if path.suffix.lower() in VIDEO_EXTENSIONS and path.is_file():
                below[path.stem].append(path)
        for vid in (v for v in vids if v not in found):
            parts = PurePosixPath(vid).parts
            matches = [p for p in below.get(parts[-1], ()) if (*p.parent.parts, p.stem)[-len(parts):] == parts]
            if matches:
                found[vid] = min(matches, key=lambda p: (order.index(p.suffix.lower()), len(p.parts), str(p)))
    missing = [v for v in vids if v not in found]
    if missing:
        examples = ", ".join(f"{v}{spec.extension}" for v in missing[:_EXAMPLES])
        raise DatasetError(
            f"{spec.title}: {len(missing)} of {len(vids)} labelled videos not found under {root} "
            f"(looked for <vid>{spec.extension}, then {', '.join(order[1:])}, also in subfolders), e.g. {examples}"
        )
    return found

