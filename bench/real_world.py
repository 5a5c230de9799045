"""Conditions real uploads bring that finevq's generator does not make.

Two kinds, on clean real clips from ../shared/data/sources (skipped when absent), cut to
4 s at their own aspect, at most 720 lines:

* modern codecs, three strengths each (HEVC by x265, VP9 by libvpx, AV1 by SVT-AV1):
  the heads were trained on H.264, MPEG-style blocks and JPEG. Expected: overall falls by
  10+ points from clean to strongest, never rising by more than a point on the way, and
  the lower of artifact and blur falls the same way (these codecs smear as much as they
  block, which FineVD files under compression blur).
* the same picture, framed or timed differently: a 2.35:1 crop letterboxed back into the
  frame, a 4:3 crop pillarboxed, a 9:16 (portrait phone) crop pillarboxed and the same crop
  on a blurred, enlarged copy of itself as reposts show it (each compared with its crop
  alone), a portrait (transposed) copy, a mirrored copy, and a 60 fps copy that shows each
  frame two or three times (compared with the clean clip). Expected: every dimension within
  8 points.

Needs Debian's ffmpeg (libx265, libvpx-vp9, libsvtav1; a missing encoder skips its rows).
Results: bench/results/real_world.{json,md}.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from real_clips import RESULTS, clips_and_assessor, falls, ffmpeg

CLIPS = ("cockatoo.mp4", "bigbuckbunny.mp4", "kinetics_HyZMiWeJyMw_000072_000082.mp4", "ugc_Exa3-original.mp4")
SECONDS, MAX_LINES = 4, 720
DIMENSIONS = ("color", "noise", "artifact", "blur", "temporal", "overall")
#: "same picture" cases may move a dimension by this much
SAME_TOLERANCE = 8.0

#: case -> (encoder, its quality option, strengths from mild to severe)
CODECS = {
    "HEVC (x265)": ("libx265", lambda s: ["-crf", str(s), "-x265-params", "log-level=error"], (28, 40, 51)),
    "VP9 (libvpx)": ("libvpx-vp9", lambda s: ["-crf", str(s), "-b:v", "0", "-deadline", "realtime", "-cpu-used", "8"], (30, 50, 63)),
    "AV1 (SVT-AV1)": ("libsvtav1", lambda s: ["-crf", str(s), "-preset", "12"], (30, 50, 63)),
}
#: case -> (FFmpeg filter making the reference from the clean clip, or None for the clean
#: clip itself; filter making the case from the reference, {w}x{h} the clean clip's size)
SAME_PICTURE = {
    "letterbox (2.35:1 crop)": ("crop=iw:trunc(iw/2.35/2)*2", "pad={w}:{h}:0:(oh-ih)/2"),
    "pillarbox (4:3 crop)": ("crop=trunc(ih*4/3/2)*2:ih", "pad={w}:{h}:(ow-iw)/2:0"),
    "portrait (9:16 crop) in bars": ("crop=trunc(ih*9/16/2)*2:ih", "pad={w}:{h}:(ow-iw)/2:0"),
    "portrait (9:16 crop) on blurred panels": ("crop=trunc(ih*9/16/2)*2:ih",
                                              "split[p][b];[b]scale={w}:{h},boxblur=20:2[bg];[bg][p]overlay=(W-w)/2:0"),
    "portrait (transposed)": (None, "transpose=1"),
    "mirrored": (None, "hflip"),
    "60 fps by repetition": (None, "fps=60"),
}
X264_CLEAN = ["-c:v", "libx264", "-crf", "16", "-pix_fmt", "yuv420p"]



def has_encoder(name: str) -> bool:
    listing = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    return f" {name} " in listing


def frame_size(path: Path) -> tuple[int, int]:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    width, height = out.strip().split(",")[:2]
    return int(width), int(height)



def scores_of(result) -> dict[str, float]:
    if not result.ok:
        sys.exit(f"{result.video}: {result.error}")
    return {d: round(result.score(d), 1) for d in DIMENSIONS}


def main() -> None:
    found = clips_and_assessor(__doc__, CLIPS)
    if found is None:
        return
    model, clips, assessor = found
    codecs = {case: spec for case, spec in CODECS.items() if has_encoder(spec[0])}
    codec_rows, same_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for source in clips:
            clean = work / f"{source.stem}.mp4"
            fit = f"scale=-2:'min({MAX_LINES},ih)',setsar=1"
            ffmpeg("-i", str(source), "-t", str(SECONDS), "-vf", fit, *X264_CLEAN, "-an", str(clean))
            reference = scores_of(assessor.assess(clean))
            for case, (encoder, quality, strengths) in codecs.items():
                series = [reference]
                for strength in strengths:
                    target = work / f"{source.stem}_{encoder}_{strength}.mkv"
                    ffmpeg("-i", str(clean), "-c:v", encoder, *quality(strength), "-an", str(target))
                    series.append(scores_of(assessor.assess(target)))
                overall = [s["overall"] for s in series]
                worse = [min(s["artifact"], s["blur"]) for s in series]
                codec_rows.append({"clip": source.name, "case": case, "strengths": list(strengths), "scores": series,
                                   "overall_falls": falls(overall), "artifact_or_blur_falls": falls(worse)})
                print(f"{source.name[:14]:14s} {case:14s} overall {overall} min(artifact, blur) {worse}", flush=True)
            width, height = frame_size(clean)
            for case, (base, how) in SAME_PICTURE.items():
                # case and reference are both one encode away from the source: a second
                # generation alone moved artifact by up to 13 points
                chain, baseline = fit, reference
                if base:
                    chain = f"{fit},{base}"
                    picture = work / f"{source.stem}_base.mp4"
                    ffmpeg("-i", str(source), "-t", str(SECONDS), "-vf", chain, *X264_CLEAN, "-an", str(picture))
                    baseline = scores_of(assessor.assess(picture))
                target = work / f"{source.stem}_same.mp4"
                ffmpeg("-i", str(source), "-t", str(SECONDS), "-vf", f"{chain},{how.format(w=width, h=height)}", *X264_CLEAN, "-an", str(target))
                scores = scores_of(assessor.assess(target))
                moved = {d: round(scores[d] - baseline[d], 1) for d in DIMENSIONS}
                same_rows.append({"clip": source.name, "case": case, "reference": baseline, "scores": scores, "moved": moved,
                                  "same": all(abs(v) <= SAME_TOLERANCE for v in moved.values())})
                print(f"{source.name[:14]:14s} {case:22s} moved {moved}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "real_world.json").write_text(json.dumps({"codecs": codec_rows, "same_picture": same_rows}, indent=1) + "\n")
    n, m = len(codec_rows), len(same_rows)
    lines = [
        "# Real-world conditions finevq's generator does not make",
        "",
        f"{len(clips)} clean clips (model: {model}). Modern codecs: overall falls on "
        f"{sum(r['overall_falls'] for r in codec_rows)}/{n}, the lower of artifact and blur on "
        f"{sum(r['artifact_or_blur_falls'] for r in codec_rows)}/{n}. Same picture: every dimension within "
        f"{SAME_TOLERANCE:.0f} points on {sum(r['same'] for r in same_rows)}/{m}.",
        "",
        "| clip | codec | strengths | overall | min(artifact, blur) | falls |",
        "|---|---|---|---|---|---|",
    ]
    for r in codec_rows:
        overall = " → ".join(f"{s['overall']:.0f}" for s in r["scores"])
        worse = " → ".join(f"{min(s['artifact'], s['blur']):.0f}" for s in r["scores"])
        lines.append(f"| {r['clip']} | {r['case']} | {r['strengths']} | {overall} | {worse} | "
                     f"{'yes' if r['overall_falls'] else 'no'} / {'yes' if r['artifact_or_blur_falls'] else 'no'} |")
    lines += ["", "| clip | same picture | " + " | ".join(f"Δ {d}" for d in DIMENSIONS) + " | within |",
              "|---|---|" + "---|" * (len(DIMENSIONS) + 1)]
    for r in same_rows:
        lines.append(f"| {r['clip']} | {r['case']} | " + " | ".join(f"{r['moved'][d]:+.0f}" for d in DIMENSIONS) + f" | {'yes' if r['same'] else 'no'} |")
    (RESULTS / "real_world.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:3]))


if __name__ == "__main__":
    main()
