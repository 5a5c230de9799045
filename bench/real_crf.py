"""Does harder compression of real footage lower the artifact and overall scores?

For each clip in ../shared/data/sources (skipped when absent), the first seconds are
re-encoded with x264 at CRF 18, 28, 38 and 48 and assessed; the script records each score
and whether artifact and overall fall monotonically. Results: bench/results/real_crf.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import av

RESULTS = Path(__file__).resolve().parent / "results"
SOURCES = Path(__file__).resolve().parents[2] / "shared" / "data" / "sources"
CRFS = (18, 28, 38, 48)


def reencode(source: Path, target: Path, crf: int, seconds: float) -> None:
    with av.open(str(source)) as src, av.open(str(target), "w") as dst:
        vin = src.streams.video[0]
        vin.thread_type = "AUTO"
        rate = vin.average_rate or 25
        out = None
        for frame in src.decode(vin):
            if frame.time is not None and frame.time > seconds:
                break
            if out is None:
                out = dst.add_stream("libx264", rate=rate)
                out.width, out.height = frame.width - frame.width % 2, frame.height - frame.height % 2
                out.pix_fmt = "yuv420p"
                out.options = {"crf": str(crf), "preset": "veryfast"}
            image = frame.to_ndarray(format="rgb24")[: out.height, : out.width]
            for packet in out.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                dst.mux(packet)
        for packet in out.encode():
            dst.mux(packet)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=Path, default=SOURCES)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if not args.sources.is_dir():
        print(f"skipped: {args.sources} is absent (it exists only beside a development checkout)")
        return
    import finevq

    assessor = finevq.Assessor()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for source in sorted(args.sources.glob("*.mp4")):
            scores = {}
            for crf in CRFS:
                target = Path(tmp) / f"{source.stem}_crf{crf}.mp4"
                reencode(source, target, crf, args.seconds)
                r = assessor.assess(target)
                scores[crf] = {"artifact": r.score("artifact"), "overall": r.score("overall"), "blur": r.score("blur")}
            falls = {
                dim: all(scores[a][dim] > scores[b][dim] for a, b in zip(CRFS, CRFS[1:])) for dim in ("artifact", "overall")
            }
            rows.append({"source": source.name, "scores": scores, "monotone": falls})
            print(source.name, {c: (round(s["artifact"], 1), round(s["overall"], 1)) for c, s in scores.items()}, falls, file=sys.stderr)
    summary = {dim: sum(r["monotone"][dim] for r in rows) for dim in ("artifact", "overall")}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "real_crf.json").write_text(json.dumps({"crfs": CRFS, "clips": rows, "monotone_count": summary, "n": len(rows)}, indent=2) + "\n")
    lines = [f"# Real footage re-encoded at CRF {', '.join(map(str, CRFS))}", "",
             f"Artifact falls monotonically on {summary['artifact']}/{len(rows)} clips, overall on {summary['overall']}/{len(rows)}.", "",
             "| clip | " + " | ".join(f"CRF {c} artifact / overall" for c in CRFS) + " | monotone |", "|---" * (len(CRFS) + 2) + "|"]
    for r in rows:
        cells = " | ".join(f"{r['scores'][c]['artifact']:.1f} / {r['scores'][c]['overall']:.1f}" for c in CRFS)
        mono = "artifact " + ("yes" if r["monotone"]["artifact"] else "no") + ", overall " + ("yes" if r["monotone"]["overall"] else "no")
        lines.append(f"| {r['source']} | {cells} | {mono} |")
    (RESULTS / "real_crf.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
