"""`finevq lmm init` and `finevq lmm merge`: model directories from local checkpoints, and for deployment.

Everything measurable is measured here, once: the tower's resolution and normalisation
(from its processor file), its feature width and tokens per frame (one forward pass), the
SlowFast architecture (from the converted weights' shapes), and whether the tokenizer can
score the level words at all. The LLM is built on the meta device only to learn its width,
so composing an 8B model costs seconds and no memory. Presets are the papers' choices.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..taxonomy import DIMENSIONS, levels_for
from .config import LMMConfig, MotionSettings, resolve
from .convert import convert_checkpoint, infer_settings, read_checkpoint
from .model import FineVQModel, load, prepare_tokenizer, quiet
from .motion_encoder import MotionEncoder
from .scoring import rating_prompt
from .tokens import level_token_ids
from .vision import VisionTower, image_settings, load_tower

PRESETS: dict[str, dict] = {
    # InternViT on 8 uniform frames, SlowFast features beside them, tokens concatenated
    "finevq": {"frames": "uniform", "num_frames": 8, "layout": "concat", "motion": {"features": "slowfast"}},
    # 1 fps keyframes, τ=4 α=4 fast-path motion tokens, interleaved second by second
    "vqa2": {"frames": "per_second", "layout": "interleave", "motion": {"features": "fast", "tau": 4, "alpha": 4}},
}
CONVERTED_MOTION = "slowfast.safetensors"


def compose(vision: str | Path, llm: str | Path, output: str | Path, motion_checkpoint: str | Path | None = None, *,
            preset: str = "finevq", trust_remote_code: bool = False, allow_pickle: bool = False, **overrides) -> Path:
    """Write an untrained model directory; `overrides` are LMMConfig fields (motion: a dict of MotionSettings fields)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    output, vision, llm = Path(output), Path(vision).resolve(), Path(llm).resolve()
    output.mkdir(parents=True, exist_ok=True)
    settings = {**PRESETS[preset], **overrides}
    motion_fields = {**PRESETS[preset].get("motion", {}), **overrides.get("motion", {})}
    if motion_checkpoint is not None:
        motion_fields |= _motion_weights(Path(motion_checkpoint), output, allow_pickle)
    settings["motion"] = MotionSettings(**motion_fields)

    with quiet():
        tower_model = load_tower(str(vision), trust_remote_code)
        size, mean, std = image_settings(str(vision), tower_model)
        size = settings.pop("image_size", size)
        tower = VisionTower(tower_model, settings.get("vision_feature_layer", -1), settings.get("vision_pool", 2))
        width, per_frame, drop_cls = tower.probe(size)
        tokenizer = AutoTokenizer.from_pretrained(llm, trust_remote_code=trust_remote_code)
        with torch.device("meta"):
            language = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(llm, trust_remote_code=trust_remote_code),
                                                        trust_remote_code=trust_remote_code)
    prepare_tokenizer(tokenizer)
    for dim in DIMENSIONS:  # fail now, not after training, if the level words cannot be scored
        level_token_ids(tokenizer, rating_prompt(dim)[1], levels_for(dim))
    config = LMMConfig(vision_path=str(vision), llm_path=str(llm), trust_remote_code=trust_remote_code, image_size=size,
                       image_mean=mean, image_std=std, vision_dim=width, tokens_per_frame=per_frame, drop_cls=drop_cls,
                       **settings)
    encoder = None
    if config.motion.enabled:
        encoder = MotionEncoder(config.motion)
        if config.motion.checkpoint:
            from safetensors.torch import load_file

            encoder.backbone.load_state_dict(load_file(resolve(output, config.motion.checkpoint)))
    model = FineVQModel(config, tower, language, encoder)
    return model.save(output, tokenizer)


def _motion_weights(path: Path, output: Path, allow_pickle: bool) -> dict:
    """Motion settings for a checkpoint: a converted .safetensors is used in place, anything else converted into `output`."""
    if path.suffix == ".safetensors":
        return {"checkpoint": str(path.resolve()), **infer_settings(read_checkpoint(path))}
    target = output / CONVERTED_MOTION
    return {"checkpoint": CONVERTED_MOTION, **convert_checkpoint(path, target, allow_pickle)}


def merge(source: str | Path, target: str | Path) -> Path:
    """Fold the LoRA adapters into full tower weights for deployment (no peft, no extra matmuls at inference).

    The towers are loaded in their checkpoints' own dtype, so a bf16 LLM stays bf16.
    """
    model, tokenizer = load(source, device="cpu", dtype="auto")
    config = model.config
    if not config.adapters:
        raise ValueError(f"{source} has no LoRA adapters to merge")
    if "llm" in config.adapters:
        model.llm = model.llm.merge_and_unload()
    if "vision" in config.adapters:
        model.vision.model = model.vision.model.merge_and_unload()
    config.trained += [t for t in config.adapters if t not in config.trained]  # now stored in full
    config.adapters = []
    return model.save(target, tokenizer)
