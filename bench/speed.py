"""Speed and memory of `finevq assess` against what an engineer would run instead.

In one run, on one generated 1080p 10 s 30 fps H.264 clip: finevq's CLI, FFmpeg's
signalstats+blockdetect+blurdetect+freezedetect filter chain, and a plain FFmpeg decode;
plus, for reference, how long merely importing finevq's CLI takes (no video). Each command
runs in its own process, timed by wall clock (best of N) with peak RSS from the kernel
(wait4). Results go to bench/results/speed.{json,md}; `--seconds 60` measures a longer
clip into speed_60s.{json,md}.

The clip is made in a child process: a child's peak RSS counts the memory of the process
it was forked from, so a parent holding the generator's frames would report its own size
for every command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
#: Start-up alone, to tell what a run costs before any video is touched.
IMPORT_ONLY = "finevq CLI import only"


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[0]} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def make_clip(path: Path, seconds: float, fps: int) -> None:
    code = (
        "import sys; from finevq.synth.content import iter_clip; from finevq.synth.video import write_video; "
        "write_video(sys.argv[1], iter_clip(1920, 1080, float(sys.argv[2]), int(sys.argv[3]), seed=7), "
        "int(sys.argv[3]), crf=20, preset='veryfast')"
    )
    subprocess.run([sys.executable, "-c", code, str(path), str(seconds), str(fps)], check=True)


def compile_package() -> None:
    """Byte-compile finevq as `pip install` of a wheel does, so the timings are those of an
    installed package and not of sources compiled anew by each process."""
    import compileall

    import finevq

    compileall.compile_dir(str(Path(finevq.__file__).parent), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        sys.exit("ffmpeg is needed for the peers: apt-get install ffmpeg")
    finevq = shutil.which("finevq") or str(Path(sys.executable).with_name("finevq"))
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip_1080p.mp4"
        make_clip(clip, args.seconds, 30)
        commands = {
            "finevq assess": [finevq, "assess", str(clip), "--format", "json", "-o", str(Path(tmp) / "r.json")],
            "ffmpeg filter chain": [ffmpeg, "-v", "error", "-i", str(clip), "-vf",
                                    "signalstats,blockdetect,blurdetect,freezedetect", "-f", "null", "-"],
            "ffmpeg decode": [ffmpeg, "-v", "error", "-i", str(clip), "-f", "null", "-"],
            IMPORT_ONLY: [sys.executable, "-c", "import finevq.cli"],
        }
        compile_package()
        best: dict[str, tuple[float, float]] = {}
        rounds: list[dict[str, float]] = []
        for _ in range(args.repeat):  # interleaved, so drift in machine load hits all alike
            rounds.append({})
            for name, cmd in commands.items():
                wall, rss = run(cmd)
                rounds[-1][name] = wall
                prev = best.get(name)
                best[name] = (min(wall, prev[0]) if prev else wall, max(rss, prev[1]) if prev else rss)
    frames = int(args.seconds * 30)
    result = {
        "clip": f"1920x1080 H.264 {args.seconds:g} s 30 fps ({frames} frames), generated",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "best_of": args.repeat,
        "seconds": {k: round(v[0], 3) for k, v in best.items()},
        "fps": {k: round(frames / v[0], 1) for k, v in best.items() if k != IMPORT_ONLY},
        "peak_rss_mib": {k: round(v[1], 1) for k, v in best.items()},
        "ratios": {
            "filter_chain_over_finevq": round(best["ffmpeg filter chain"][0] / best["finevq assess"][0], 2),
            "finevq_over_decode": round(best["finevq assess"][0] / best["ffmpeg decode"][0], 2),
            # each round's own ratio (its finevq run next to its decode), so a burst of
            # load in one round moves one sample, not the headline
            "finevq_over_decode_median_of_rounds": round(statistics.median(r["finevq assess"] / r["ffmpeg decode"] for r in rounds), 2),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    stem = "speed" if args.seconds == 10 else f"speed_{args.seconds:g}s"  # the clip is 10 s; longer ones get their own files
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "\n".join(
        f"| {k} | {result['seconds'][k]} | {result['fps'].get(k, '–')} | {result['peak_rss_mib'][k]} |" for k in commands
    )
    (RESULTS / f"{stem}.md").write_text(
        f"# Speed: {result['clip']}\n\n{result['machine']}, best of {args.repeat}, "
        f"1-min load average {result['load_average_1min_at_end']} at the end (other jobs share the machine).\n\n"
        f"| command | seconds | fps | peak RSS MiB |\n|---|---|---|---|\n{rows}\n\n"
        f"- ffmpeg filter chain / finevq: **{result['ratios']['filter_chain_over_finevq']}x** (target ≥ 10x)\n"
        f"- finevq / plain decode: **{result['ratios']['finevq_over_decode']}x** (target ≤ 2x); "
        f"the median of the {args.repeat} rounds' own ratios: {result['ratios']['finevq_over_decode_median_of_rounds']}x\n"
        "- finevq's modules are byte-compiled first, as a wheel install does (this machine sets "
        "PYTHONDONTWRITEBYTECODE, so an editable install would otherwise compile them on every run).\n"
        "- The clip is made in a child process, so no command's peak RSS includes the generator's memory "
        "(runs before this fix reported the generator's ~330 MiB for FFmpeg).\n"
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
