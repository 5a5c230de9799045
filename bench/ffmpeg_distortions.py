"""Do the scores follow distortions made by another tool than finevq's own generator?

The shipped heads were trained on `finevq synth`'s distortions. Here FFmpeg's filters and
encoders make them instead (eq, colorbalance, colortemperature, noise, lutyuv, gblur,
boxblur, dblur, scale, fps, select, loop, crop; MPEG-4 part 2, MJPEG and x264), three
strengths each, on clean real clips from ../shared/data/sources (skipped when absent) cut
to 4 s at 640x360. Per case it records the distorted dimension's score and overall from
clean to strongest, whether that score falls (no step up by more than a point, and 10+
points in all), and whether the strongest level names the right dimension as the one that
hurts most.
Needs Debian's ffmpeg. Results: bench/results/ffmpeg_distortions.{json,md}.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from real_clips import RESULTS, clips_and_assessor, falls, ffmpeg

CLIPS = ("bigbuckbunny.mp4", "kinetics_e4dv6ZsFzHE_000243_000253.mp4", "ugc_Exa1-original.mp4", "ugc_Exa2-original.mp4")
WIDTH, HEIGHT, SECONDS = 640, 360, 4

#: dimension -> (case, how, strengths[, output options]); how is an FFmpeg filter with {}
#: for the strength, or an encoder name whose strength is a bitrate (mpeg4, kbit/s), a
#: quantiser (mjpeg) or a constant rate factor (libx264).
CASES: dict[str, list[tuple[str, str, tuple] | tuple[str, str, tuple, tuple[str, ...]]]] = {
    "color": [
        ("desaturate", "eq=saturation={}", (0.6, 0.3, 0.0)),
        ("oversaturate", "eq=saturation={}", (1.6, 2.2, 3.0)),
        ("darken", "eq=brightness=-{}", (0.1, 0.2, 0.35)),
        ("gamma darken", "eq=gamma={}", (0.75, 0.55, 0.4)),
        ("brighten", "eq=brightness={}", (0.1, 0.2, 0.35)),
        ("low contrast", "eq=contrast={}", (0.7, 0.5, 0.3)),
        ("yellow cast", "colorbalance=rm={0}:gm={0}:bm=-{0}", (0.1, 0.2, 0.35)),
        ("cool cast", "colortemperature=temperature={}", (9000, 12000, 16000)),
    ],
    "noise": [
        ("temporal noise", "noise=alls={}:allf=t", (10, 25, 50)),
        ("pattern noise", "noise=alls={}:allf=p", (20, 40, 80)),
        ("uniform noise", "noise=alls={}:allf=u", (8, 16, 30)),
    ],
    "artifact": [
        ("mpeg4 bitrate", "mpeg4", (2000, 400, 150)),
        ("x264 crf", "libx264", (38, 44, 51)),
        ("mjpeg quantiser", "mjpeg", (8, 20, 31)),
        ("posterize luma", "lutyuv=y='bitand(val,{})'", (248, 240, 224)),
    ],
    "blur": [
        ("gaussian", "gblur=sigma={}", (1.5, 3, 6)),
        ("box", "boxblur={}", (2, 4, 8)),
        ("directional", "dblur=angle=20:radius={}", (3, 8, 16)),
        ("down-up scale", f"scale=iw/{{}}:-2,scale={WIDTH}:{HEIGHT}", (2, 3, 5)),
    ],
    "temporal": [
        ("frame rate cut", "fps={},fps=30", (15, 8, 4)),
        ("lower frame rate", "fps={}", (12, 6, 3)),
        ("dropped frames", "select='gte(random(0)\\,{})'", (0.3, 0.5, 0.75), ("-fps_mode", "passthrough")),
        ("freeze", "loop=loop={}:size=1:start=40,setpts=N/30/TB", (8, 20, 45)),
        ("flicker", "eq=eval=frame:brightness='{}*sin(2*PI*t*6)'", (0.05, 0.1, 0.2)),
        ("shake", "crop=iw-40:ih-40:20+{0}*sin(t*37)+{0}*sin(t*23):20+{0}*cos(t*31),scale=" + f"{WIDTH}:{HEIGHT}", (3, 8, 18)),
    ],
}



#: Encoders as distortions: the option their strength sets.
ENCODERS = {"mpeg4": lambda s: ["-b:v", f"{s}k"], "mjpeg": lambda s: ["-q:v", str(s)], "libx264": lambda s: ["-crf", str(s)]}


def distorted(clean: Path, how: str, strength, target: Path, options: tuple = ()) -> Path:
    if how in ENCODERS:
        target = target.with_suffix(".mp4" if how == "libx264" else ".avi")
        ffmpeg("-i", str(clean), "-c:v", how, *ENCODERS[how](strength), "-an", str(target))
        return target
    ffmpeg("-i", str(clean), "-vf", how.format(strength), *options, "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", "-an", str(target))
    return target



def main() -> None:
    found = clips_and_assessor(__doc__, CLIPS)
    if found is None:
        return
    model, clips, assessor = found
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for source in clips:
            clean = work / f"{source.stem}_clean.mp4"
            ffmpeg("-i", str(source), "-t", str(SECONDS), "-vf", f"scale={WIDTH}:{HEIGHT},setsar=1", "-c:v", "libx264", "-crf", "16", "-pix_fmt", "yuv420p", "-an", str(clean))
            reference = assessor.assess(clean)
            for dimension, cases in CASES.items():
                for case, how, strengths, *options in cases:
                    made = [distorted(clean, how, s, work / f"{source.stem}_{i}.mp4", *options) for i, s in enumerate(strengths)]
                    results = [reference] + [assessor.assess(path) for path in made]
                    if not all(r.ok for r in results):
                        sys.exit(f"{source.name} {case}: {[r.error for r in results if not r.ok]}")
                    scores = [round(r.score(dimension), 1) for r in results]
                    overall = [round(r.score("overall"), 1) for r in results]
                    named = results[-1].most_impactful
                    rows.append({
                        "clip": source.name, "dimension": dimension, "case": case, "strengths": list(strengths),
                        "scores": scores, "overall": overall, "falls": falls(scores), "overall_falls": falls(overall),
                        "named": named.value if named else None, "named_right": named is not None and named.value == dimension,
                    })
                    print(f"{source.name[:12]:12s} {case:16s} {scores} overall {overall} named {rows[-1]['named']}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ffmpeg_distortions.json").write_text(json.dumps(rows, indent=1) + "\n")
    n = len(rows)
    lines = [
        "# Distortions made by FFmpeg, not by finevq's generator",
        "",
        f"{len(clips)} clean clips x {n // len(clips)} cases, clean then three strengths (model: {model}).",
        f"The dimension's score falls on {sum(r['falls'] for r in rows)}/{n}, overall on {sum(r['overall_falls'] for r in rows)}/{n}; "
        f"the strongest level names the right dimension on {sum(r['named_right'] for r in rows)}/{n}.",
        "",
        "| clip | dimension | case | dimension score | overall | falls | named at strongest |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['clip']} | {r['dimension']} | {r['case']} | {' → '.join(f'{x:.0f}' for x in r['scores'])} | "
                     f"{' → '.join(f'{x:.0f}' for x in r['overall'])} | {'yes' if r['falls'] else 'no'} / {'yes' if r['overall_falls'] else 'no'} | {r['named']} |")
    (RESULTS / "ffmpeg_distortions.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:4]))


if __name__ == "__main__":
    main()
