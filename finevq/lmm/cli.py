"""``finevq lmm``: init, train, merge, convert-slowfast. Parse, call, print.

The main app mounts `app` (``app.add_typer(lmm_app, name="lmm")``). Nothing heavy is
imported until a command runs, so ``finevq --help`` works without the 'lmm' extra.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

app = typer.Typer(name="lmm", no_args_is_help=True, add_completion=False,
                  help="The LMM assessor (GPU, local checkpoints): compose, train, merge. See docs/lmm.md.")
console = Console()
errors = Console(stderr=True)


class Preset(str, Enum):
    finevq = "finevq"
    vqa2 = "vqa2"


class ScoreHead(str, Enum):
    levels = "levels"
    regression = "regression"


def _fail(error: Exception) -> typer.Exit:
    errors.print(f"[red]error:[/red] {error}", highlight=False)
    return typer.Exit(1)


def _set(overrides: dict, item: str) -> None:
    key, sep, text = item.partition("=")
    if not sep:
        raise typer.BadParameter(f"--set takes KEY=VALUE, not {item!r}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = text  # a bare word: a string
    *parents, leaf = key.strip().split(".")
    for parent in parents:
        overrides = overrides.setdefault(parent, {})
    overrides[leaf] = value


@app.command("init")
def init_command(
    vision: Annotated[Path, typer.Option(help="Local vision tower (SigLIP, CLIP, InternViT) or CLIP/SigLIP checkpoint.",
                                         exists=True, file_okay=False)],
    llm: Annotated[Path, typer.Option(help="Local causal LM checkpoint with its tokenizer.", exists=True, file_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The new model directory.")],
    motion: Annotated[Optional[Path], typer.Option(help="SlowFast-R50 weights: PySlowFast/pytorchvideo .pyth, or converted "
                                                   ".safetensors. Without it the motion encoder starts random.",
                                                   exists=True, dir_okay=False)] = None,
    preset: Annotated[Preset, typer.Option(help="finevq: 8 uniform frames, tokens concatenated; vqa2: 1 fps keyframes, "
                                           "interleaved per second.")] = Preset.finevq,
    score_head: Annotated[ScoreHead, typer.Option(help="levels: level-word softmax; regression: MLP head trained with MSE.")] = ScoreHead.levels,
    lora_rank: Annotated[int, typer.Option(min=1, help="LoRA rank for the LLM and the vision tower.")] = 16,
    vision_lora: Annotated[bool, typer.Option(help="Put a LoRA adapter on the vision tower too (FineVQ does).")] = True,
    no_motion: Annotated[bool, typer.Option("--no-motion", help="No motion encoder: frames only.")] = False,
    trust_remote_code: Annotated[bool, typer.Option(help="Run the checkpoints' own modelling code (InternViT, InternLM2).")] = False,
    allow_pickle: Annotated[bool, typer.Option(help="Load a pickled --motion file that holds more than tensors (trusted files only).")] = False,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Any config field, dotted, value as JSON: "
                                                      "--set num_frames=16 --set motion.size=160 (repeatable).")] = None,
) -> None:
    """Compose a new, untrained model from local checkpoints."""
    from .compose import compose

    overrides = {"score_head": score_head.value, "lora": {"rank": lora_rank, "alpha": 2 * lora_rank,
                                                         **({} if vision_lora else {"vision_targets": None})}}
    if no_motion:
        overrides["motion"] = {"enabled": False}
    for item in set_ or []:
        _set(overrides, item)
    try:
        out = compose(vision, llm, output, motion, preset=preset.value, trust_remote_code=trust_remote_code,
                      allow_pickle=allow_pickle, **overrides)
    except (ValueError, OSError) as error:
        raise _fail(error) from None
    console.print(f"untrained model written to {out}; train it with `finevq lmm train config.yaml`")


@app.command("train")
def train_command(
    config: Annotated[Path, typer.Argument(help="Training YAML (see docs/lmm.md).", exists=True, dir_okay=False)],
    resume: Annotated[Optional[str], typer.Option(help="A checkpoint directory, or 'latest' in the output folder.")] = None,
) -> None:
    """Instruction-tune a model: stages of projectors, LoRA, optionally whole towers."""
    from .train import train

    try:
        final = train(config, resume, log=lambda record: console.print(json.dumps(record), highlight=False))
    except (ValueError, OSError) as error:
        raise _fail(error) from None
    console.print(f"trained model: {final}")


@app.command("merge")
def merge_command(
    source: Annotated[Path, typer.Argument(help="A trained model directory with LoRA adapters.", exists=True, file_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where the merged model goes.")],
) -> None:
    """Merge LoRA adapters into the towers' weights for deployment."""
    from .compose import merge

    try:
        out = merge(source, output)
    except (ValueError, OSError) as error:
        raise _fail(error) from None
    console.print(f"merged model written to {out}")


@app.command("convert-slowfast")
def convert_command(
    checkpoint: Annotated[Path, typer.Argument(help="PySlowFast or pytorchvideo SlowFast-R50 checkpoint.", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The converted .safetensors file.")],
    allow_pickle: Annotated[bool, typer.Option(help="Load a pickle that holds more than tensors (trusted files only).")] = False,
) -> None:
    """Rename a SlowFast checkpoint's weights into finevq's motion-encoder layout."""
    from .convert import convert_checkpoint

    try:
        settings = convert_checkpoint(checkpoint, output, allow_pickle)
    except (ValueError, OSError, KeyError) as error:
        raise _fail(error) from None
    console.print(f"{output}: {json.dumps(settings)}")
