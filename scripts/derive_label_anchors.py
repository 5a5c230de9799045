"""Derive the human anchors of `finevq synth` labels (finevq/synth/anchors.json).

    python scripts/derive_label_anchors.py --labels ../shared/data/labels

Two human datasets ground the synthetic labels; only numbers derived from them are
committed (a few dozen), never their files:

* KADID-10k (81 references x 25 distortion types x 5 levels, 10,125 images, MOS 1-5): each
  image carries one distortion, so its MOS is both the quality of the distorted aspect
  and the overall quality of a picture with that one distortion. The per-type, per-level
  mean MOS, mapped to 0-100 as (MOS - 1) / 4 * 100, is the score of our type at our
  level. Where our parameter is KADID's parameter the levels match one for one; where the
  parameters are on the same axis but spaced differently the MOS is interpolated in the
  parameter (with the identity parameter at the clean anchor); where KADID has a type of
  the same family but another mechanism, levels match one for one; types KADID lacks get
  the mean over all 25 KADID types at that level ("a level-k distortion").
* FineVD (5,074 UGC videos, MOS per dimension): how overall quality pools the five
  dimensions. A single-distortion clip's overall equals its dimension's score (KADID's
  reading), so the pooled impairment must pass one impairment through unchanged: overall
  impairment = the Minkowski norm (sum of impairment^p)^(1/p), impairments taken from the
  clean anchor, slope fixed at 1 and only an offset between the scales free. `p` is the
  exponent with the lowest RMSE on FineVD. (A free slope fits FineVD slightly better, but
  FineVD's dimensions move together (r = 0.72-0.94), so a free slope mostly learns that
  correlation and would make a clip with one distortion score far above that distortion.)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from finevq.synth.distortions import DISTORTIONS
from finevq.taxonomy import DISTORTION_DIMENSIONS

OUT = Path(__file__).resolve().parents[1] / "finevq/synth/anchors.json"

#: registry entry -> (KADID type, KADID's parameter per level or None for level-for-level,
#: the parameter value that means "no distortion" when interpolating)
KADID_MATCH: dict[str, tuple[str, tuple | None, float | None]] = {
    "gaussian_blur": ("GBLUR", None, None),
    "defocus_blur": ("Lens_Blur", None, None),
    "motion_blur": ("Motion_Blur", None, None),
    "jpeg_blocking": ("JPEG", None, None),
    "gaussian_noise": ("AWGN", None, None),
    "pulse_noise": ("Impulse_Noise", None, None),
    "over_bright": ("Brighten", None, None),
    "over_dark": ("Darken", None, None),
    "banding": ("Quantization", None, None),
    "ringing": ("JP2K", None, None),
    "compression": ("JPEG", None, None),
    "low_saturation": ("Saturation_Dist._HSV", (0.4, 0.2, 0.1, 0.0, -0.4), 1.0),
    "high_saturation": ("Saturation_Dist._Lab", (1.0, 2.0, 3.0, 6.0, 9.0), 1.0),
    "moire": ("Pixelate", (0.887, 0.784, 0.699, 0.569, 0.29), 1.0),
}
#: KADID levels that are the identity (Gaussian blur sigma 0.1, Lab chroma x 1): what
#: raters give an undistorted picture.
CLEAN_CELLS = [("GBLUR", 1), ("Saturation_Dist._Lab", 1)]


def to_score(mos: np.ndarray | float) -> np.ndarray:
    return (np.asarray(mos, dtype=float) - 1.0) / 4.0 * 100.0


def kadid_table(path: Path) -> pd.DataFrame:
    data = pd.read_csv(path)
    data["level"] = data.dis_img_path.str.extract(r"I\d+_\d+_(\d+)")[0].astype(int)
    return data.pivot_table(index="dis_type", columns="level", values="score", aggfunc="mean")


def interpolate(ours: tuple, theirs: tuple, identity: float, mos: np.ndarray, clean_mos: float) -> np.ndarray:
    xs = np.array((identity, *theirs), dtype=float)
    ys = np.array((clean_mos, *mos), dtype=float)
    order = np.argsort(xs)
    return np.interp(np.asarray(ours, dtype=float), xs[order], ys[order])


def fit_pooling(finevd: Path) -> dict:
    dims = [str(d) for d in DISTORTION_DIMENSIONS]
    table = None
    for name in [*dims, "overall"]:
        column = pd.read_csv(finevd / f"finevd_{name}.csv")[["vid", "mos"]].rename(columns={"mos": name})
        table = column if table is None else table.merge(column, on="vid")
    x, y = table[dims].to_numpy(), table["overall"].to_numpy()
    impairment = np.clip(float(np.percentile(x, 99)) - x, 0.0, None)
    profile = {}
    for p in (1, 1.5, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24):
        pooled = (impairment**p).sum(axis=1) ** (1 / p)
        offset = float(np.mean(y + pooled))  # slope fixed at 1: only the scales' offset is free
        profile[float(p)] = round(float(np.sqrt(np.mean((offset - pooled - y) ** 2))), 4)
    best = min(profile, key=profile.get)
    worst_only = impairment.max(axis=1)
    worst_rmse = float(np.sqrt(np.mean((np.mean(y + worst_only) - worst_only - y) ** 2)))
    return {"minkowski_p": best, "videos": int(len(y)), "rmse_by_p": profile, "worst_only_rmse": round(worst_rmse, 4),
            "dimension_correlation": np.round(np.corrcoef(x.T), 2).tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/labels")
    args = parser.parse_args()
    kadid = kadid_table(args.labels / "iqa/kadid-10k.txt")
    clean_mos = float(np.mean([kadid.loc[t, lvl] for t, lvl in CLEAN_CELLS]))
    generic = kadid.mean(axis=0).to_numpy()
    types = {}
    for name, entry in DISTORTIONS.items():
        if name in KADID_MATCH:
            kadid_type, params, identity = KADID_MATCH[name]
            mos = kadid.loc[kadid_type].to_numpy()
            if params is not None:
                mos = interpolate(entry.levels, params, identity, mos, clean_mos)
            how = f"KADID-10k {kadid_type}" + (" interpolated in the parameter" if params is not None else " level for level")
        else:
            mos, how = generic, "mean of the 25 KADID-10k types per level"
        scores = np.minimum.accumulate(np.minimum(to_score(mos), to_score(clean_mos)))  # never better at a stronger level
        types[name] = {"scores": np.round(scores, 2).tolist(), "source": how}
    anchors = {
        "scale": "score = (KADID-10k MOS - 1) / 4 * 100",
        "clean": round(float(to_score(clean_mos)), 2),
        "clean_source": "mean MOS of KADID-10k's identity cells: " + ", ".join(f"{t} level {lvl}" for t, lvl in CLEAN_CELLS),
        "types": types,
        "overall": fit_pooling(args.labels / "finevd"),
    }
    OUT.write_text(json.dumps(anchors, indent=1) + "\n")
    print(json.dumps({k: v["scores"] for k, v in types.items()}, indent=0))
    print("clean", anchors["clean"], "overall", {k: anchors["overall"][k] for k in ("minkowski_p", "worst_only_rmse")})


if __name__ == "__main__":
    main()
