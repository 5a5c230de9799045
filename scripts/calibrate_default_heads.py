"""Fit the default heads shipped in finevq/heads/default/ (reproducible: same inputs, same file).

    python scripts/calibrate_default_heads.py --sources ../shared/data/sources

Every synthetic distortion of finevq.synth at levels 1-5 is applied to calibration footage:
procedural scenes (seeds 101-104, never used by the tests) and, where available, the real
clips in --sources. Each clip is encoded, measured by the fast assessor's own pipeline and
the rows are cached (JSONL, resumable), then `finevq.heads.calibrate.fit_heads` picks each
type's detector signal and curve. A report of the choices is written beside the heads.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import tempfile
from multiprocessing import Pool
from pathlib import Path

import av
import cv2
import numpy as np

from finevq.assessors.fast import measure
from finevq.heads.calibrate import Row, fit_heads
from finevq.signals.motion import MOTION_SIGNALS
from finevq.signals.spatial import SPATIAL_SIGNALS
from finevq.synth.content import make_clip
from finevq.synth.distortions import DISTORTIONS, distort
from finevq.synth.video import write_video
from finevq.taxonomy import distortion

FPS = 24
SPATIAL_SECONDS, MOTION_SECONDS = 1.0, 4.0
SYNTH_SOURCES = [("synth101", 101, 640, 360), ("synth102", 102, 960, 540), ("synth103", 103, 640, 360)]
#: Real clips with enough resolution to stand for clean footage (the already compressed
#: carphone_distorted and the 144p Kinetics clips would teach that damage is normal).
REAL_SOURCES = ["bikes.mp4", "cockatoo.mp4", "ugc_Exa1-original.mp4", "ugc_Exa3-original.mp4", "bigbuckbunny.mp4"]
#: Clean-only footage: it measures how much clean video varies (no knot of a distortion may
#: fall inside that spread) without paying for distorting it. Seeds 200+ are never tested.
CLEAN_ONLY_SYNTH = [(f"synth{seed}", seed, w, h) for seed, (w, h) in zip(range(200, 212), [(640, 360), (960, 540), (480, 270), (1280, 720)] * 3)]
#: (the low-resolution Kinetics, carphone and realshort clips are left out: their softness is
#: real damage, and counting it as clean would hide mild blur everywhere)
CLEAN_ONLY_REAL = ["cover_video_1.mp4", "cover_video_2.mp4", "cover_fun_video_3.mp4", "ugc_Exa2-original.mp4"]


def _even(n: int) -> int:
    return n - n % 2


def real_frames(path: Path, seconds: float) -> list[np.ndarray]:
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            h, w = rgb.shape[:2]
            scale = min(1.0, 960 / max(h, w))
            size = (_even(round(w * scale)), _even(round(h * scale)))
            frames.append(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if size != (w, h) else rgb)
            if len(frames) >= seconds * FPS:
                break
    return frames


@functools.lru_cache(maxsize=2)
def source_frames(source: str, sources_dir: Path | None, seconds: float) -> list[np.ndarray]:
    """Cached per worker: tasks are ordered by source, so each is painted or decoded once."""
    for name, seed, w, h in SYNTH_SOURCES + CLEAN_ONLY_SYNTH:
        if name == source:
            return make_clip(w, h, seconds, FPS, seed)
    return real_frames(sources_dir / source, seconds)


def one_row(task: tuple) -> dict:
    source, sources_dir, name, level = task
    entry = DISTORTIONS.get(name) if name else None
    motion = entry is not None and distortion(entry.taxonomy).path == "motion"
    frames = source_frames(source, sources_dir, MOTION_SECONDS if motion or name is None else SPATIAL_SECONDS)
    d = distort(frames, FPS, name, level, seed=11) if name else None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.mp4"
        if d is None:
            write_video(path, frames, FPS)
        else:
            write_video(path, d.frames, FPS, pts=d.pts, **{"crf": 16, **d.encode})
        m = measure(str(path), deep=False)
    return {"source": source, "distortion": entry.taxonomy if entry else None, "name": name, "level": level,
            "signals": m.video_signals()}


def candidates_for(type_name: str) -> dict[str, str]:
    """The signals their authors declared as evidence for this type, with the direction they
    declared; the data picks among them. Letting any signal of the dimension compete picked
    spurious ones (a stall "detected" by the clip getting longer) that fail on real videos.
    """
    t = distortion(type_name)
    if t.path == "motion":
        return {n: "higher" for n, doc in MOTION_SIGNALS.items() if t.name in doc.split(",")[0].split("(")[0]}
    return {n: spec.worse_when for n, spec in SPATIAL_SIGNALS.items() if t.name in spec.detects}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/sources")
    parser.add_argument("--cache", type=Path, default=Path("calibration_rows.jsonl"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "finevq/heads/default")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--fit-only", action="store_true")
    args = parser.parse_args()

    sources = [s[0] for s in SYNTH_SOURCES]
    if args.sources.is_dir():
        sources += [s for s in REAL_SOURCES if (args.sources / s).exists()]
    clean_only = [s[0] for s in CLEAN_ONLY_SYNTH]
    if args.sources.is_dir():
        clean_only += [s for s in CLEAN_ONLY_REAL if (args.sources / s).exists()]
    tasks = [(s, args.sources, None, 0) for s in sources + clean_only]
    tasks += [(s, args.sources, name, level) for s in sources for name in DISTORTIONS for level in range(1, 6)]
    done = set()
    if args.cache.exists():
        for line in args.cache.read_text().splitlines():
            r = json.loads(line)
            done.add((r["source"], r["name"], r["level"]))
    todo = [t for t in tasks if (t[0], t[2], t[3]) not in done]
    if todo and not args.fit_only:
        print(f"{len(todo)} clips to measure ({len(done)} cached)")
        with Pool(args.workers) as pool, args.cache.open("a") as cache:
            for i, row in enumerate(pool.imap_unordered(one_row, todo, chunksize=8), 1):
                cache.write(json.dumps(row) + "\n")
                cache.flush()
                if i % 50 == 0:
                    print(f"  {i}/{len(todo)}")
    wanted = {(t[0], t[2], t[3]) for t in tasks}
    rows = [r for r in map(json.loads, args.cache.read_text().splitlines()) if (r["source"], r["name"], r["level"]) in wanted]
    fitted = fit_heads(
        [Row(r["source"], r["distortion"], r["level"], r["signals"], reference=r["source"] not in REAL_SOURCES) for r in rows],
        {t: candidates_for(t) for t in {r["distortion"] for r in rows if r["distortion"]}},
        version="synthetic-1",
        notes=f"monotone curves fitted on {len(rows)} synthetic-distortion clips from sources: {', '.join(sorted({r['source'] for r in rows}))}",
    )
    args.out.mkdir(parents=True, exist_ok=True)
    fitted.save(args.out / "heads.json")
    lines = ["# Default heads: calibration report", "", fitted.notes, "",
             "| type | signal | knots (signal → penalty) |", "|---|---|---|"]
    for det in fitted.detectors:
        knots = ", ".join(f"{x:.4g}→{p:.0f}" for x, p in zip(det.xs, det.penalties))
        lines.append(f"| {det.type} | {det.signal} | {knots} |")
    (args.out / "calibration.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
