"""Does the LMM path learn? A tiny random LMM, instruction-tuned on CPU for a few minutes.

Clips come from `finevq.synth` (96x64, 1 s): per content seed a clean clip, one with a
mild (level 3) and one with a severe (level 5) distortion of a randomly drawn type. Labels
follow from what was made: the distorted dimension and overall are fair (mild) or bad
(severe), everything else is at its best level; the instruction data is
`finevq.instruct.generate` on those labels, of which the rating questions are trained on.

The model is `finevq lmm init` on random tiny checkpoints (SigLIP-shaped tower, Llama-shaped
LLM, one-block SlowFast), trained with FineVQ's stage 2: projectors + LoRA on the LLM and
the tower. Stage 1 (projectors only) is off by default: a random, frozen LLM gives it nothing
to align to. The default types are those whose traces a random tower can pick up (brightness,
saturation, strong noise and blur); compression, moire or temporal types need features a
random network does not have. Rating accuracy is measured on clips of content seeds never
seen in training, as the argmax of the five level words' probabilities (the quantity eq. 1
weights), and also from generated text; the baseline always answers the majority level the
training labels have for that dimension.

    python bench/lmm_learning.py            # writes bench/results/lmm_learning.{json,md}
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
TYPES = ("over_dark", "over_bright", "low_saturation", "gaussian_noise", "gaussian_blur")
#: synth level -> score of the distorted dimension and overall: mild -> fair (50), severe -> bad (10).
LEVEL_SCORE = {3: 50.0, 5: 10.0}
CLIP = dict(width=96, height=64, seconds=1.0, fps=12)


def make_clips(folder: Path, seeds: range, types: tuple[str, ...]) -> list[tuple[Path, str | None, int]]:
    from finevq.synth.video import make_test_video

    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for seed in seeds:
        rng = random.Random(seed)
        for name, level in ((None, 0), (rng.choice(types), 3), (rng.choice(types), 5)):
            path = (folder / f"{name or 'clean'}_{level}_{seed}.mp4").resolve()
            if not path.exists():
                make_test_video(path, distortion=name, level=level, seed=seed, **CLIP)
            clips.append((path, name, level))
    return clips


def facts_of(path: Path, name: str | None, level: int):
    from finevq.instruct.facts import VideoFacts
    from finevq.synth.distortions import DISTORTIONS
    from finevq.taxonomy import DIMENSIONS, Dimension, level_of

    scores = {d: 90.0 for d in DIMENSIONS}
    types, most = (), None
    if name is not None:
        entry = DISTORTIONS[name]
        most = Dimension(entry.dimension)
        scores[most] = scores[Dimension.OVERALL] = LEVEL_SCORE[level]
        types = (entry.taxonomy,)
    return VideoFacts(video=str(path), scores=scores, levels={d: level_of(d, s) for d, s in scores.items()}, distortions=types,
                      severities={t: level for t in types}, most_impactful=most, duration=CLIP["seconds"],
                      frame_count=int(CLIP["seconds"] * CLIP["fps"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "finevq-lmm-learning",
                        help="clips, data and checkpoints (outside the repo: test runs clean test-artifacts/)")
    parser.add_argument("--train-sources", type=int, default=90)
    parser.add_argument("--test-sources", type=int, default=20)
    parser.add_argument("--stage1-epochs", type=float, default=0.0, help="0 leaves stage 1 out")
    parser.add_argument("--stage2-epochs", type=float, default=12.0)
    parser.add_argument("--stage1-lr", type=float, default=2e-3)
    parser.add_argument("--stage2-lr", type=float, default=2e-3)
    parser.add_argument("--kinds", default="rating", help="question types trained on (comma-separated)")
    parser.add_argument("--types", default=",".join(TYPES), help="finevq.synth distortions, drawn per clip")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads; 1 because on a shared CPU two spinning threads run 10x slower than one")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)

    from finevq.instruct import generate, write_dataset
    from finevq.lmm.compose import compose
    from finevq.lmm.engine import LMM
    from finevq.lmm.tiny import TINY_MOTION, make_tiny_checkpoints
    from finevq.lmm.train import TrainSettings, Trainer
    from finevq.taxonomy import DIMENSIONS, level_index

    torch.manual_seed(args.seed)
    work = args.work
    started = time.perf_counter()
    types = tuple(args.types.split(","))
    train_clips = make_clips(work / "clips", range(args.train_sources), types)
    test_clips = make_clips(work / "clips", range(10_000, 10_000 + args.test_sources), types)
    train_facts = [facts_of(*c) for c in train_clips]
    samples = generate(train_facts, seed=args.seed, system_prompt=False)
    write_dataset(samples, work / "data" / "train.jsonl", fractions=(1.0, 0.0, 0.0))
    made = time.perf_counter() - started

    vision, llm = make_tiny_checkpoints(work / "checkpoints", seed=args.seed, hidden=64, image_size=64, patch=8)
    model_dir = compose(vision, llm, work / "model", num_frames=4, prompt="plain", motion=TINY_MOTION, max_new_tokens=24)
    settings = TrainSettings(
        model=str(model_dir), output=str(work / "run"), seed=args.seed, log_every=25, save_every=None,
        data={"train": [str(work / "data" / "train.jsonl")], "kinds": args.kinds.split(","), "shuffle_buffer": 8192,
              "clip_cache": 4096},
        optim={"batch_size": 16, "warmup_ratio": 0.05, "min_lr": 1e-5},
        stages=[{"name": "stage1", "train": ["projectors"], "epochs": args.stage1_epochs, "lr": args.stage1_lr}] * (args.stage1_epochs > 0)
        + [{"name": "stage2", "train": ["projectors", "lora"], "epochs": args.stage2_epochs, "lr": args.stage2_lr}])
    log = []
    t0 = time.perf_counter()
    final = Trainer(settings, log=lambda r: (log.append(r), print(json.dumps(r), flush=True))).run()
    trained_seconds = time.perf_counter() - t0

    engine = LMM.load(final, "cpu")
    majority = {d: Counter(level_index(f.scores[d]) for f in train_facts).most_common(1)[0][0] for d in DIMENSIONS}
    test = evaluate(engine, test_clips, majority)
    seen = evaluate(engine, train_clips[: len(test_clips)], majority)
    accuracy, baseline, n = test["accuracy"], test["baseline"], len(test_clips)
    result = {
        "what": "rating accuracy of a tiny random LMM after instruction tuning on synthetic clips, held-out content seeds",
        "seed": args.seed,
        "clips": {"train": len(train_clips), "test": n, "size": CLIP, "types": types, "levels": {"clean": 0, "mild": 3, "severe": 5}},
        "instructions": {"train_samples_all_types": len(samples), "trained_on": args.kinds.split(",")},
        "model": {"llm": "Llama-shaped, hidden 64, 2 layers, random", "vision": "SigLIP-shaped, 64 px, patch 8, hidden 32, 2 layers, random",
                  "motion": TINY_MOTION, "frames": 4, "tokens_per_frame": engine.config.tokens_per_frame,
                  "stages": [s.model_dump(include={"name", "train", "epochs", "lr"}) for s in settings.stages]},
        "overall": {"accuracy": accuracy["overall"], "majority_baseline": baseline["overall"],
                    "margin_points": round(100 * (accuracy["overall"] - baseline["overall"]), 1),
                    "generated_text_accuracy": test["generated"], "srcc_score_vs_label": test["srcc"],
                    "training_clips_accuracy": seen["accuracy"]["overall"]},
        "all_dimensions": {"accuracy": sum(accuracy.values()) / 6, "majority_baseline": sum(baseline.values()) / 6},
        "per_dimension": {d: {"accuracy": accuracy[d], "majority_baseline": baseline[d]} for d in accuracy},
        "final_train_loss": log[-1]["loss"] if log else None,
        "seconds": {"make_data": round(made, 1), "train": round(trained_seconds, 1), "total": round(time.perf_counter() - started, 1)},
        "steps": log[-1]["global_step"] if log else 0,
        "machine": {"cpu": platform.processor() or platform.machine(), "python": sys.version.split()[0], "torch": torch.__version__,
                    "threads": torch.get_num_threads()},
        "examples": test["rows"][:6],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lmm_learning.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "lmm_learning.md").write_text(report(result))
    print(report(result))


def evaluate(engine, clips: list, majority: dict) -> dict:
    """Rating accuracy per dimension (argmax of the level words' probabilities), the majority
    baseline's, the overall rating read from generated text, and SRCC of the eq. 1 score."""
    from scipy.stats import spearmanr

    from finevq.taxonomy import DIMENSIONS, Dimension, level_index, levels_for

    hits, base, said_right, rows = Counter(), Counter(), 0, []
    question = "Considering overall quality, how would you rate the quality level of this video?"
    for path, name, level in clips:
        facts = facts_of(path, name, level)
        clip = engine.read(str(path))
        media = engine.media(clip)
        scores = engine.score(clip, media)
        row = {"video": path.name, "label": {}, "predicted": {}, "score": {}}
        for d in DIMENSIONS:
            truth = level_index(facts.scores[d])
            guess = max(range(5), key=lambda i: scores[d].probabilities[i])
            hits[d] += guess == truth
            base[d] += majority[d] == truth
            row["label"][d.value], row["predicted"][d.value], row["score"][d.value] = truth, guess, round(scores[d].score, 2)
        text = engine.ask(clip, media, question)
        said = [w for w in levels_for(Dimension.OVERALL) if f" {w}" in f" {text.lower()}"]
        said_right += said[:1] == [levels_for(Dimension.OVERALL)[row["label"]["overall"]]]
        row["generated"] = text
        rows.append(row)
    n = len(clips)
    srcc = spearmanr([-r["label"]["overall"] for r in rows], [r["score"]["overall"] for r in rows]).statistic
    return {"accuracy": {d.value: hits[d] / n for d in DIMENSIONS}, "baseline": {d.value: base[d] / n for d in DIMENSIONS},
            "generated": said_right / n, "srcc": round(float(srcc), 4), "rows": rows}


def report(r: dict) -> str:
    o = r["overall"]
    lines = [
        "# LMM learning check (CPU, tiny random model)", "",
        f"{r['clips']['train']} training clips, {r['clips']['test']} test clips from unseen content seeds "
        f"({r['clips']['size']['width']}x{r['clips']['size']['height']}, {r['clips']['size']['seconds']:.0f} s); "
        f"types {', '.join(r['clips']['types'])}; clean / mild (level 3) / severe (level 5), one third each.",
        f"Trained {r['seconds']['train']:.0f} s on CPU ({r['steps']} optimizer steps, batch 16) on "
        f"{', '.join(r['instructions']['trained_on'])} questions: "
        + "; ".join(f"{s['name']} trains {' + '.join(s['train'])} for {s['epochs']:g} epochs at lr {s['lr']:g}" for s in r["model"]["stages"])
        + ". Rating = argmax of the five level words' probabilities.", "",
        "| | accuracy | majority baseline | margin |", "|---|---|---|---|",
        f"| overall rating | {o['accuracy']:.1%} | {o['majority_baseline']:.1%} | {o['margin_points']:+.1f} points |",
        f"| all six dimensions | {r['all_dimensions']['accuracy']:.1%} | {r['all_dimensions']['majority_baseline']:.1%} | "
        f"{100 * (r['all_dimensions']['accuracy'] - r['all_dimensions']['majority_baseline']):+.1f} points |", "",
        f"Overall rating on {r['clips']['test']} of the training clips: {o['training_clips_accuracy']:.1%}. "
        f"Overall rating read from generated text: {o['generated_text_accuracy']:.1%}. "
        f"SRCC of the eq. 1 overall score against the label: {o['srcc_score_vs_label']:.3f}.", "",
        "| dimension | accuracy | majority baseline |", "|---|---|---|",
        *(f"| {d} | {v['accuracy']:.1%} | {v['majority_baseline']:.1%} |" for d, v in r["per_dimension"].items()), "",
        f"One run (seed {r.get('seed', 0)}); one test clip is {100 / r['clips']['test']:.1f} points. Dimensions not above their "
        f"baseline: {', '.join(d for d, v in r['per_dimension'].items() if v['accuracy'] <= v['majority_baseline']) or 'none'}.", "",
        f"Machine: {r['machine']['cpu']}, {r['machine']['threads']} torch threads, torch {r['machine']['torch']}. "
        f"Data {r['seconds']['make_data']:.0f} s, total {r['seconds']['total']:.0f} s.", "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
