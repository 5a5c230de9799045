"""A fine-grained benchmark from clean footage: every synthesisable FineVD distortion at five
levels, plus pairs from different dimensions, each clip labelled with human-grounded scores.

This is how finevq gets fine-grained training and test data without downloading any: known
distortions of known strength on real footage (the KADID-10k recipe), scored by what people
said about the same distortions (`finevq.synth.labels`). Clips are short and small so a few
hundred take minutes; everything is seeded, so the same sources and seed give the same
files and labels. A finished clip is never made twice (re-running resumes), and a source
that cannot be read fails alone.
"""

from __future__ import annotations

import csv
import functools
import os
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import av
import cv2
import numpy as np

from ..taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, level_of
from .content import make_clip
from .distortions import DISTORTIONS, distort
from .labels import label_scores, most_degraded
from .video import write_video

VIDEO_SUFFIXES = {".mp4", ".mkv", ".mov", ".webm", ".avi", ".m4v", ".y4m"}
PROCEDURAL = "procedural:"


@dataclass(frozen=True)
class Source:
    """Footage to distort: a video file, or procedural content (`procedural:SEED`)."""

    id: str
    path: Path | None = None
    seed: int | None = None


@dataclass(frozen=True)
class ClipSpec:
    source: Source
    applied: tuple[tuple[str, int], ...]  # (registry name, level 1..5); empty: the clean clip

    @property
    def name(self) -> str:
        what = "+".join(f"{n}{lvl}" for n, lvl in self.applied) or "clean"
        return f"{self.source.id}__{what}"


@dataclass(frozen=True)
class Settings:
    seconds: float = 3.0
    fps: float = 24.0
    #: KADID-10k's raters saw 512x384 pictures and our pixel-sized levels are KADID's, so
    #: clips are made near that size for the labels to mean what the raters meant.
    max_side: int = 640
    seed: int = 0


def resolve_sources(items: Iterable[str]) -> list[Source]:
    """Files, folders (their videos, sorted) and `procedural:SEED` items, with unique ids."""
    sources: list[Source] = []
    for item in items:
        if item.startswith(PROCEDURAL):
            seed = int(item[len(PROCEDURAL):])
            sources.append(Source(id=f"procedural{seed}", seed=seed))
            continue
        path = Path(item)
        if path.is_dir():
            sources += [Source(id=p.stem, path=p) for p in sorted(path.iterdir()) if p.suffix.lower() in VIDEO_SUFFIXES]
        elif path.exists():
            sources.append(Source(id=path.stem, path=path))
        else:
            raise FileNotFoundError(f"source {item!r} is neither a file, a folder nor procedural:SEED")
    seen: dict[str, Source] = {}
    for s in sources:
        if s.id in seen and seen[s.id] != s:
            raise ValueError(f"two sources are both called {s.id!r}; rename one")
        seen[s.id] = s
    return list(seen.values())


def plan(sources: Iterable[Source], *, types: Iterable[str] | None = None, pairs: int = 12, seed: int = 0,
         within: Mapping[str, int] | None = None) -> list[ClipSpec]:
    """Clean, every type at every level, then `pairs` random two-dimension mixes per source
    (levels 2-5: a slight distortion next to another one tells little), then per dimension in
    `within` that many mixes of two of its types (a stalled clip that also lags), which the
    labels pool within the dimension. Each kind of mix draws from its own random stream, so
    asking for one never changes the clips of another."""
    names = list(types or DISTORTIONS)
    unknown = [n for n in names if n not in DISTORTIONS]
    if unknown:
        raise KeyError(f"unknown distortion(s) {', '.join(unknown)}; known: {', '.join(DISTORTIONS)}")
    by_dimension = {d: [n for n in names if DISTORTIONS[n].dimension == d] for d in DISTORTION_DIMENSIONS}
    usable = [d for d, members in by_dimension.items() if members]
    within = dict(within or {})
    for dim in within:
        if dim not in by_dimension:
            raise KeyError(f"unknown dimension {dim!r} for mixes within one; known: {', '.join(map(str, DISTORTION_DIMENSIONS))}")
        if len({DISTORTIONS[n].taxonomy for n in by_dimension[dim]}) < 2:
            raise ValueError(f"mixes within {dim} need two of its distortion types among the chosen ones")
    specs: list[ClipSpec] = []
    for source in sources:
        specs.append(ClipSpec(source, ()))
        specs += [ClipSpec(source, ((n, lvl),)) for n in names for lvl in range(1, 6)]
        rng = np.random.default_rng([seed, zlib.crc32(source.id.encode())])
        for _ in range(pairs if len(usable) > 1 else 0):
            first, second = rng.choice(len(usable), size=2, replace=False)
            chosen = [by_dimension[usable[i]][rng.integers(len(by_dimension[usable[i]]))] for i in sorted((first, second))]
            specs.append(ClipSpec(source, tuple((n, int(rng.integers(2, 6))) for n in _capture_order(chosen))))
        for dim, count in within.items():
            rng = np.random.default_rng([seed, zlib.crc32(source.id.encode()), zlib.crc32(str(dim).encode())])
            members = by_dimension[dim]
            for _ in range(count):
                first = members[rng.integers(len(members))]
                others = [n for n in members if DISTORTIONS[n].taxonomy != DISTORTIONS[first].taxonomy]
                chosen = [first, others[rng.integers(len(others))]]
                specs.append(ClipSpec(source, tuple((n, int(rng.integers(2, 6))) for n in _capture_order(chosen))))
    return list(dict.fromkeys(specs))


def _capture_order(names: list[str]) -> list[str]:
    """Picture damage first, timing damage last, and among timing damage stalls first: a
    stall lengthens the clip by repeating frames, and an op after it sees those frames as
    the stream (frames dropped from it keep their times), where an op before it would hand
    it timestamps it cannot extend."""
    def rank(n: str) -> int:
        return 0 if DISTORTIONS[n].dimension != "temporal" else 1 if DISTORTIONS[n].taxonomy == "stalling" else 2

    return sorted(names, key=rank)


def _even(n: int) -> int:
    return max(2, n - n % 2)


def _fit(rgb: np.ndarray, max_side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    size = (_even(round(w * scale)), _even(round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if size != (w, h) else rgb


@functools.lru_cache(maxsize=1)
def source_frames(source: Source, settings: Settings) -> tuple[np.ndarray, ...]:
    """The first seconds x fps frames at working size; a shorter source plays forward then
    backward (a seamless loop, unlike a jump back to the start, which looks like a cut)."""
    wanted = round(settings.seconds * settings.fps)
    if source.path is None:
        width = settings.max_side
        return tuple(make_clip(width, _even(round(width * 9 / 16)), settings.seconds, settings.fps, source.seed))
    frames = []
    with av.open(str(source.path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            frames.append(_fit(frame.to_ndarray(format="rgb24"), settings.max_side))
            if len(frames) >= wanted:
                break
    if not frames:
        raise ValueError(f"{source.path}: no video frames")
    if len({f.shape for f in frames}) > 1:
        frames = [cv2.resize(f, frames[0].shape[1::-1], interpolation=cv2.INTER_AREA) for f in frames]
    loop = frames + frames[-2:0:-1] if len(frames) > 2 else frames
    return tuple(loop[i % len(loop)] for i in range(wanted))


def make_one(spec: ClipSpec, out: Path, settings: Settings) -> Path:
    """Write one clip (atomically, so an interrupted run never leaves a half clip that looks done)."""
    target = out / f"{spec.name}.mp4"
    if target.exists():
        return target
    frames: Iterable[np.ndarray] = source_frames(spec.source, settings)
    pts, encode = None, {}
    for name, level in spec.applied:
        d = distort(frames, settings.fps, name, level, seed=settings.seed ^ zlib.crc32(spec.source.id.encode()))
        frames, pts, encode = d.frames, d.pts if d.pts is not None else pts, {**encode, **d.encode}
    partial = target.with_suffix(".part.mp4")
    write_video(partial, frames, settings.fps, pts=pts, **{"crf": 16, **encode})
    os.replace(partial, target)
    return target


def _make_task(task: tuple[ClipSpec, Path, Settings]) -> tuple[ClipSpec, str | None]:
    spec, out, settings = task
    try:
        make_one(spec, out, settings)
        return spec, None
    except Exception as exc:  # one bad source must not stop the others; the error is reported
        return spec, f"{type(exc).__name__}: {exc}"


def label_row(spec: ClipSpec, video: str) -> dict[str, str]:
    applied = dict(spec.applied)
    scores = label_scores(applied)
    taxonomy = [(DISTORTIONS[n].taxonomy, lvl) for n, lvl in spec.applied]
    worst = most_degraded(scores)
    return {
        "video": video,
        "source": spec.source.id,
        **{str(d): f"{scores[d]:.2f}" for d in DIMENSIONS},
        **{f"{d}_level": level_of(d, scores[d]) for d in DIMENSIONS},
        "distortions": ";".join(t for t, _ in taxonomy),
        "distortion_levels": ";".join(f"{t}:{lvl}" for t, lvl in taxonomy),
        "synthetic": ";".join(f"{n}:{lvl}" for n, lvl in spec.applied),
        "most_impactful": str(worst) if worst else "none",
    }


def build(
    sources: list[Source],
    out: Path,
    settings: Settings = Settings(),
    *,
    types: Iterable[str] | None = None,
    pairs: int = 12,
    within: Mapping[str, int] | None = None,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[Path, dict[str, str]]:
    """Make the clips and write `out/labels.csv` (video paths relative to it). Returns the
    labels path and {clip name: error} for the clips that could not be made."""
    clips = out / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    specs = plan(sources, types=types, pairs=pairs, seed=settings.seed, within=within)
    errors: dict[str, str] = {}
    tasks = [(s, clips, settings) for s in specs]
    done = 0
    with Pool(workers or os.cpu_count() or 1) as pool:
        for spec, error in pool.imap(_make_task, tasks, chunksize=4):  # ordered by source: each is decoded once per worker
            done += 1
            if error:
                errors[spec.name] = error
            if on_progress:
                on_progress(done, len(tasks))
    rows = [label_row(s, f"clips/{s.name}.mp4") for s in specs if s.name not in errors]
    labels = out / "labels.csv"
    with open(labels, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["video"])
        writer.writeheader()
        writer.writerows(rows)
    return labels, errors
