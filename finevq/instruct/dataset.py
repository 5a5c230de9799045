"""Samples -> trainer files: the conversation formats, and the split by video into train/val/test.

Splitting by video, never by question, keeps a model from being tested on a video it was
tuned on with a different question. Formats are one registry: adding a trainer's layout is
one function here.

Where the prompt goes: with VQA²'s system prompt (the default), InternVL and ShareGPT get a
system turn and LLaVA, which has none, gets it in front of the question; the placeholders
<image> and <motion> mark where frames and motion features go. Plain prompts carry only the
video token each trainer's loader expects, or none for InternVL, whose loader adds
``<video>`` itself, so they are identical to FineVQ's released files.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from pathlib import Path
from typing import Callable

from .generate import Sample

SPLITS = ("train", "val", "test")


def _internvl(sample: Sample, uid: str) -> dict:
    system = [{"from": "system", "value": sample.system}] if sample.system else []
    return {
        "id": uid,
        "video": sample.video,
        "type": sample.kind,
        "conversations": system + [{"from": "human", "value": sample.question}, {"from": "gpt", "value": sample.answer}],
    }


def _llava(sample: Sample, uid: str) -> dict:
    prompt = f"{sample.system}\n{sample.question}" if sample.system else f"<image>\n{sample.question}"
    return {
        "id": uid,
        "video": sample.video,
        "type": sample.kind,
        "conversations": [{"from": "human", "value": prompt}, {"from": "gpt", "value": sample.answer}],
    }


def _sharegpt(sample: Sample, uid: str) -> dict:
    system = [{"role": "system", "content": sample.system}] if sample.system else []
    question = sample.question if sample.system else f"<video>{sample.question}"
    return {
        "id": uid,
        "type": sample.kind,
        "messages": system + [{"role": "user", "content": question}, {"role": "assistant", "content": sample.answer}],
        "videos": [sample.video],
    }


FORMATS: dict[str, Callable[[Sample, str], dict]] = {"internvl": _internvl, "llava": _llava, "sharegpt": _sharegpt}


def split_videos(videos: list[str], seed: int = 0, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> dict[str, str]:
    """Video -> split. Exact shares after a seeded shuffle; val and test round half up, train takes the rest."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1.0, abs_tol=1e-6):
        raise ValueError(f"split fractions must be three non-negative numbers summing to 1, not {fractions}")
    order = sorted(set(videos))
    random.Random(seed).shuffle(order)
    n_val, n_test = (math.floor(len(order) * f + 0.5) for f in fractions[1:])
    n_train = max(0, len(order) - n_val - n_test)
    bounds = {"train": order[:n_train], "val": order[n_train:n_train + n_val], "test": order[n_train + n_val:]}
    return {video: split for split, members in bounds.items() for video in members}


def split_paths(out: str | Path) -> dict[str, Path]:
    """``train.jsonl`` -> val.jsonl, test.jsonl; ``s2i_train.jsonl`` -> s2i_val.jsonl; ``data.jsonl`` -> data_val.jsonl.

    The last "train" in the file name is replaced; without one, ``_val`` / ``_test`` are
    appended and the given path is the train file. "labels" names the SIG labels file.
    """
    out = Path(out)
    stem, suffix = out.stem, out.suffix or ".jsonl"
    at = stem.rfind("train")
    paths = {"train": out.with_suffix(suffix)}
    for split in (*SPLITS[1:], "labels"):
        name = f"{stem[:at]}{split}{stem[at + 5:]}" if at >= 0 else f"{stem}_{split}"
        paths[split] = out.with_name(name + (".csv" if split == "labels" else suffix))
    return paths


def write_dataset(
    samples: list[Sample],
    out: str | Path,
    fmt: str = "internvl",
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> dict[str, Counter]:
    """Write the three split files; returns question-type counts per split."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    assignment = split_videos([s.video for s in samples], seed, fractions)
    paths = split_paths(out)
    paths["train"].parent.mkdir(parents=True, exist_ok=True)
    counts = {split: Counter() for split in SPLITS}
    handles = {split: open(paths[split], "w", encoding="utf-8") for split in SPLITS}
    try:
        per_video: Counter = Counter()
        for sample in samples:
            split = assignment[sample.video]
            uid = f"{sample.video}#{per_video[sample.video]}"
            per_video[sample.video] += 1
            handles[split].write(json.dumps(FORMATS[fmt](sample, uid), ensure_ascii=False) + "\n")
            counts[split][sample.kind] += 1
    finally:
        for handle in handles.values():
            handle.close()
    return counts
