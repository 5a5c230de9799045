"""The LMM's settings, saved as ``finevq_lmm.json`` beside the trained weights.

A model directory holds no copy of the base checkpoints: the config names the local vision
tower, LLM and (optionally) converted SlowFast weights it was composed from, so a checkpoint
is the few megabytes that training changed. What `init` measured from the checkpoints
(resolution, feature width, tokens per frame) is written here too, so data preparation can
lay out a prompt without loading any model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CONFIG_FILE = "finevq_lmm.json"


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MotionSettings(_Settings):
    """A SlowFast-style encoder. Defaults are SlowFast-R50 (8x8) with VQA²'s τ=4, α=4, which
    gives the fast path every frame, so there is one motion token per decoded frame."""

    enabled: bool = True
    #: Converted SlowFast weights (safetensors, see `convert`); None: random initialisation.
    checkpoint: str | None = None
    alpha: int = Field(4, ge=1, description="slow/fast frame-rate ratio")
    tau: int = Field(4, ge=1, description="slow-path sampling interval in frames")
    beta_inv: int = Field(8, ge=1, description="slow/fast channel ratio")
    width: int = Field(64, ge=1, description="slow-path stem channels (64 for R50)")
    depths: tuple[int, int, int, int] = (3, 4, 6, 3)
    fusion_ratio: int = 2
    fusion_kernel: int = 7
    #: "fast": fast-path features per fast frame (VQA²); "slowfast": with the slow-path
    #: feature of the same moment appended (SimpleVQA-style, as FineVQ's code uses).
    features: Literal["fast", "slowfast"] = "fast"
    size: int = Field(224, ge=16, description="square side the motion frames are resized to")
    max_frames: int = Field(256, ge=1, description="longer videos are subsampled uniformly to this many frames")
    mean: float = 0.45
    std: float = 0.225

    @model_validator(mode="after")
    def _rates(self) -> "MotionSettings":
        if self.tau % self.alpha:
            raise ValueError(f"tau ({self.tau}) must be a multiple of alpha ({self.alpha}): the fast path samples every tau/alpha frames")
        if self.width % self.beta_inv:
            raise ValueError(f"width ({self.width}) must be divisible by beta_inv ({self.beta_inv})")
        return self

    @property
    def fast_stride(self) -> int:
        return self.tau // self.alpha

    @property
    def max_tokens(self) -> int:
        return -(-self.max_frames // self.fast_stride)

    @property
    def feature_dim(self) -> int:
        fast = self.width // self.beta_inv * 32
        return fast + (self.width * 32 if self.features == "slowfast" else 0)


class LoraSettings(_Settings):
    rank: int = Field(16, ge=1)
    alpha: int = 32
    dropout: float = 0.05
    #: peft target_modules: "all-linear" or module-name suffixes.
    llm_targets: str | list[str] = "all-linear"
    #: None puts no adapter on the vision tower.
    vision_targets: str | list[str] | None = "all-linear"


class LMMConfig(_Settings):
    vision_path: str
    llm_path: str
    trust_remote_code: bool = False
    #: "uniform": num_frames spread over the video (FineVQ); "per_second": one keyframe a
    #: second (VQA², LMM-VQA), at most max_keyframes.
    frames: Literal["uniform", "per_second"] = "uniform"
    num_frames: int = Field(8, ge=1)
    max_keyframes: int = Field(32, ge=1)
    image_size: int
    image_mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    image_std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    #: Which hidden state of the tower: -1 the last, -2 the one before (LLaVA's choice).
    vision_feature_layer: int = -1
    #: Average-pool the patch grid by this factor (2: a 27x27 SigLIP grid becomes 14x14).
    vision_pool: int = Field(2, ge=1)
    #: Measured at init from one forward pass of the tower.
    vision_dim: int
    tokens_per_frame: int
    drop_cls: bool
    #: "concat": all frame tokens at <image>, all motion tokens at <motion> (FineVQ);
    #: "interleave": per second, that second's frame tokens then its motion tokens (VQA²).
    layout: Literal["concat", "interleave"] = "concat"
    motion: MotionSettings = MotionSettings()
    #: "levels": the level-word softmax (Q-Align / VQA² eq. 1); "regression": an MLP head on
    #: the hidden state, trained with MSE (FineVQ's alternative).
    score_head: Literal["levels", "regression"] = "levels"
    lora: LoraSettings = LoraSettings()
    #: Towers that carry a LoRA adapter in this directory ("llm", "vision").
    adapters: list[Literal["llm", "vision"]] = []
    #: Parameter groups trained so far; decides what a checkpoint must store.
    trained: list[Literal["projectors", "lora", "vision", "motion", "llm"]] = []
    #: "vqa2": VQA²'s system prompt around the placeholders; "plain": the question alone.
    prompt: Literal["vqa2", "plain"] = "vqa2"
    max_new_tokens: int = 256

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / CONFIG_FILE
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: str | Path) -> "LMMConfig":
        path = Path(directory) / CONFIG_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{directory} is not a finevq LMM directory (no {CONFIG_FILE}); make one with `finevq lmm init`")
        return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))


def resolve(directory: str | Path, path: str) -> str:
    """Paths in a config are relative to its directory unless absolute."""
    p = Path(path)
    return str(p if p.is_absolute() else Path(directory) / p)
