"""Load test of `finevq serve` on loopback: many small uploads at once, then check nothing leaked.

    python bench/load_serve.py [--clips 50] [--workers 2]

Starts the server as a subprocess (as an operator would run it), generates tiny clips,
uploads them all concurrently, follows every job to its end, and writes
bench/results/serve_load.json and .md: end-to-end latency (upload to result) p50/p95,
upload latency, throughput, errors, and the server's resident memory before, at peak and
after, to show that uploads are streamed to disk rather than held, and that finished jobs
leave nothing behind. Traffic goes to 127.0.0.1 only, and every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
POLL_SECONDS = 0.5
#: After the load, memory counts as back at baseline within this much (allocator arenas are not all handed back).
RSS_TOLERANCE_MB = 8.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def workers_of(pid: int) -> list[int]:
    """The server's worker processes (not multiprocessing's resource tracker, its other child)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return [child for child in found if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def make_clips(directory: Path, count: int) -> list[Path]:
    from finevq.synth.video import make_test_video

    return [make_test_video(directory / f"clip{i:03d}.mp4", width=160, height=96, seconds=1.0, fps=12, seed=i) for i in range(count)]


async def wait_healthy(client: httpx.AsyncClient, workers: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            health = (await client.get("/v1/health")).json()
            if health["workers_ready"] == workers:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("the server did not become ready in time")


async def one_job(client: httpx.AsyncClient, clip: Path, deadline: float) -> dict:
    start = time.monotonic()
    response = await client.post("/v1/assessments", files={"file": (clip.name, clip.read_bytes(), "video/mp4")})
    uploaded = time.monotonic()
    if response.status_code != 202:
        return {"ok": False, "why": f"HTTP {response.status_code}: {response.text[:200]}"}
    job_id = response.json()["id"]
    while time.monotonic() < deadline:
        job = (await client.get(f"/v1/assessments/{job_id}")).json()
        if job["status"] in ("done", "failed"):
            ok = job["status"] == "done"
            return {
                "ok": ok,
                "why": None if ok else job["error"]["code"],
                "latency": time.monotonic() - start,
                "upload": uploaded - start,
                "assess": _seconds(job["finished"]) - _seconds(job["started"]),
            }
        await asyncio.sleep(POLL_SECONDS)
    return {"ok": False, "why": "not finished before the deadline"}


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


async def sample_rss(pid: int, samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(rss_mb(pid))
        await asyncio.sleep(0.1)


async def run(args: argparse.Namespace, clips: list[Path], warmup: list[Path], server: subprocess.Popen, url: str, uploads: Path) -> dict:
    limits = httpx.Limits(max_connections=len(clips) + 4, max_keepalive_connections=len(clips) + 4)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        await wait_healthy(client, args.workers, time.monotonic() + 600)
        # A job per worker first, so the baseline includes everything a first request loads.
        for warm in await asyncio.gather(*(one_job(client, clip, time.monotonic() + 300) for clip in warmup)):
            if not warm["ok"]:
                raise SystemExit(f"warm-up job failed: {warm['why']}")
        await asyncio.sleep(1.0)
        baseline = rss_mb(server.pid)
        workers_before = {pid: rss_mb(pid) for pid in workers_of(server.pid)}

        samples: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_rss(server.pid, samples, stop))
        started = time.monotonic()
        results = await asyncio.gather(*(one_job(client, clip, started + args.deadline) for clip in clips))
        wall = time.monotonic() - started
        stop.set()
        await sampler

        await asyncio.sleep(args.settle)
        after = rss_mb(server.pid)
        workers_after = {pid: rss_mb(pid) for pid in workers_of(server.pid)}
        health = (await client.get("/v1/health")).json()

    done = [r for r in results if r["ok"]]
    errors = [r["why"] for r in results if not r["ok"]]
    latency = [r["latency"] for r in done] or [0.0]
    upload = [r["upload"] for r in done] or [0.0]
    assess = [r["assess"] for r in done] or [0.0]
    return {
        "clips": len(clips),
        "concurrency": len(clips),
        "workers": args.workers,
        "model": args.model,
        "clip": "160x96, 1 s at 12 fps, H.264, made by finevq.synth.video.make_test_video",
        "clip_bytes_mean": round(statistics.mean(c.stat().st_size for c in clips)),
        "errors": len(errors),
        "error_reasons": sorted(set(errors)),
        "wall_seconds": round(wall, 2),
        "throughput_jobs_per_second": round(len(done) / wall, 3),
        "latency_seconds": {"p50": round(percentile(latency, 0.5), 2), "p95": round(percentile(latency, 0.95), 2), "max": round(max(latency), 2)},
        "upload_seconds": {"p50": round(percentile(upload, 0.5), 3), "p95": round(percentile(upload, 0.95), 3), "max": round(max(upload), 3)},
        "assess_seconds_per_job": {"p50": round(percentile(assess, 0.5), 2), "p95": round(percentile(assess, 0.95), 2)},
        "server_rss_mb": {
            "baseline": round(baseline, 1),
            "peak": round(max(samples, default=baseline), 1),
            "after": round(after, 1),
            "settle_seconds": args.settle,
            "returned_to_baseline": after <= baseline + RSS_TOLERANCE_MB,
            "tolerance_mb": RSS_TOLERANCE_MB,
        },
        "worker_rss_mb": {"before": sorted(round(v, 1) for v in workers_before.values()), "after": sorted(round(v, 1) for v in workers_after.values())},
        "queue_after": {"queued": health["queued"], "running": health["running"]},
        "uploads_left_on_disk": len(list(uploads.iterdir())) if uploads.exists() else 0,
    }


def write_results(result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "serve_load.json").write_text(json.dumps(result, indent=2) + "\n")
    rss, lat = result["server_rss_mb"], result["latency_seconds"]
    lines = [
        "# finevq serve: load test on loopback",
        "",
        f"{result['clips']} concurrent uploads of small generated clips ({result['clip']}, ~{result['clip_bytes_mean'] // 1024} KiB each), "
        f"{result['workers']} worker processes with the `{result['model']}` assessor, on {result['machine']} "
        f"(1-minute load average {result['load_average_before']} before the run). Produced by `python bench/load_serve.py`.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| errors | {result['errors']} of {result['clips']} |",
        f"| end-to-end latency (upload to result) p50 / p95 / max | {lat['p50']} s / {lat['p95']} s / {lat['max']} s |",
        f"| upload latency p50 / p95 | {result['upload_seconds']['p50']} s / {result['upload_seconds']['p95']} s |",
        f"| assessment time per job p50 / p95 | {result['assess_seconds_per_job']['p50']} s / {result['assess_seconds_per_job']['p95']} s |",
        f"| throughput | {result['throughput_jobs_per_second']} jobs/s ({result['wall_seconds']} s for all) |",
        f"| server RSS baseline / peak / after {rss['settle_seconds']:g} s | {rss['baseline']} / {rss['peak']} / {rss['after']} MiB |",
        f"| server RSS back at baseline (±{rss['tolerance_mb']:g} MiB) | {'yes' if rss['returned_to_baseline'] else 'no'} |",
        f"| worker RSS before / after | {result['worker_rss_mb']['before']} / {result['worker_rss_mb']['after']} MiB |",
        f"| uploads left on disk afterwards | {result['uploads_left_on_disk']} |",
        "",
        "Latency is dominated by waiting in the queue: with every job submitted at once, the last one waits for "
        "all the others, so p95 is about clips × assessment time ÷ workers.",
        "",
    ]
    (RESULTS / "serve_load.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", default="fast", help="assessor name given to the server's --model")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds the whole load may take")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait before measuring memory afterwards")
    args = parser.parse_args()

    load_before = round(os.getloadavg()[0], 2)  # other work on the machine slows the workers: record it
    with tempfile.TemporaryDirectory(prefix="finevq-load-") as tmp:
        tmp_path = Path(tmp)
        clips = make_clips(tmp_path, args.clips + args.workers)
        warmup, clips = clips[: args.workers], clips[args.workers :]
        port = free_port()
        store = tmp_path / "state" / "jobs.db"
        log = (tmp_path / "server.log").open("w")
        command = [sys.executable, "-m", "finevq.serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
                   "--store", str(store), "--max-queued", str(args.clips + 10), "--model", args.model]
        server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            result = asyncio.run(run(args, clips, warmup, server, f"http://127.0.0.1:{port}", store.with_name("jobs-uploads")))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
            if server.returncode not in (0, None, -signal.SIGINT):
                print((tmp_path / "server.log").read_text()[-3000:], file=sys.stderr)
    result["machine"] = f"{os.cpu_count()} CPU cores, {platform.system()} {platform.machine()}, Python {platform.python_version()}"
    result["load_average_before"] = load_before
    write_results(result)
    print(json.dumps(result, indent=2))
    if result["errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
