"""The spatial encoder: any Hugging Face vision tower from a local directory, frames in, patch tokens out.

Which tower (SigLIP, CLIP, InternViT through trust_remote_code) is the checkpoint's
business; what finevq needs from it is a grid of patch features per frame. A class token,
where the tower has one, is dropped (it summarises content, not local quality), and the grid
is average-pooled so eight or thirty frames fit an LLM's context. The resolution and
normalisation come from the checkpoint's preprocessor_config.json, read directly, so no
image-processor class (or torchvision) is needed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

_DEFAULT_STATS = (0.5, 0.5, 0.5)


def load_tower(path: str, trust_remote_code: bool = False, dtype: torch.dtype | None = None) -> nn.Module:
    """A vision model; for a dual encoder (CLIP, SigLIP) only its vision half is built and loaded."""
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    vision_config = getattr(config, "vision_config", None)
    return AutoModel.from_pretrained(path, config=vision_config or config, trust_remote_code=trust_remote_code, dtype=dtype)


def _side(value) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return value.get("height") or value.get("shortest_edge")
    return None


def image_settings(path: str, tower: nn.Module) -> tuple[int, tuple[float, ...], tuple[float, ...]]:
    """(square side, mean, std): the processor's crop or size, else the config's image_size with SigLIP's 0.5 statistics."""
    file = Path(path) / "preprocessor_config.json"
    if file.is_file():
        data = json.loads(file.read_text(encoding="utf-8"))
        side = _side(data.get("crop_size")) if data.get("do_center_crop") else None
        side = side or _side(data.get("size"))
        if side:
            return int(side), tuple(data.get("image_mean", _DEFAULT_STATS)), tuple(data.get("image_std", _DEFAULT_STATS))
    size = getattr(tower.config, "image_size", None)
    if not size:
        raise ValueError(f"{path} has neither a preprocessor_config.json nor an image_size in its config; set image_size in finevq_lmm.json")
    return int(size), _DEFAULT_STATS, _DEFAULT_STATS


class VisionTower(nn.Module):
    """Wraps the tower (later maybe a peft model around it) with the token selection and pooling."""

    def __init__(self, model: nn.Module, feature_layer: int = -1, pool: int = 1, drop_cls: bool = False):
        super().__init__()
        self.model = model
        self.feature_layer = feature_layer
        self.pool = pool
        self.drop_cls = drop_cls

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    def raw(self, pixel_values: torch.Tensor) -> torch.Tensor:
        out = self.model(pixel_values=pixel_values.to(self.dtype), output_hidden_states=self.feature_layer != -1)
        return out.last_hidden_state if self.feature_layer == -1 else out.hidden_states[self.feature_layer]

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(N, 3, S, S) -> (N, tokens_per_frame, C)."""
        tokens = self.raw(pixel_values)
        if self.drop_cls:
            tokens = tokens[:, 1:]
        if self.pool == 1:
            return tokens
        n, count, channels = tokens.shape
        side = math.isqrt(count)
        grid = tokens.transpose(1, 2).reshape(n, channels, side, side)
        grid = F.avg_pool2d(grid, self.pool, self.pool, ceil_mode=True)
        return grid.flatten(2).transpose(1, 2)

    @torch.no_grad()
    def probe(self, image_size: int) -> tuple[int, int, bool]:
        """(feature width, tokens per frame, drop_cls) from one forward pass on a grey frame.

        A square token count is a bare patch grid (SigLIP); one more than a square has a
        class token in front (CLIP, InternViT). Anything else cannot be pooled as a grid.
        """
        tokens = self.raw(torch.zeros(1, 3, image_size, image_size, device=next(self.model.parameters()).device))
        count, width = tokens.shape[1], tokens.shape[2]
        if math.isqrt(count) ** 2 == count:
            self.drop_cls = False
        elif math.isqrt(count - 1) ** 2 == count - 1:
            self.drop_cls = True
        elif self.pool != 1:
            raise ValueError(f"the tower gives {count} tokens, not a square grid; use vision_pool 1")
        grid = math.isqrt(count - self.drop_cls)
        per_frame = count if self.pool == 1 and not self.drop_cls else math.ceil(grid / self.pool) ** 2
        return width, per_frame, self.drop_cls
