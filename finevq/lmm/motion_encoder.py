"""The motion encoder: a SlowFast two-pathway 3D ResNet, written out in torch.

Sparse keyframes miss what happens between them (a stutter, a shake, a stall), so the
papers add a network that sees every frame. The fast path runs at a high frame rate with few
channels and carries the motion; the slow path runs at 1/α of that rate with many channels
and is fused from the fast one after the stem and each of the first three stages. As in
VQA², the tokens are the fast path's features, one per fast frame, averaged over space;
"slowfast" features append the slow feature of the same moment. Learnable temporal position
embeddings are added to the tokens, since a pooled 3D CNN feature does not say when it is.

The backbone's state-dict layout (what `convert` produces from PySlowFast or pytorchvideo
checkpoints; B = BatchNorm3d with weight, bias, running_mean, running_var):
  stem.{slow,fast}.conv.weight, stem.{slow,fast}.bn.*
  fuse.{0..3}.conv.weight, fuse.{0..3}.bn.*            after the stem and stages 0..2
  stages.{0..3}.{slow,fast}.{block}.{a,b,c}.conv.weight, .{a,b,c}.bn.*
  stages.{0..3}.{slow,fast}.0.shortcut.conv.weight, .shortcut.bn.*   first block of a stage
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import MotionSettings

#: Temporal kernel of the first conv in each stage's blocks: the slow path only looks across
#: frames in its two deepest stages, the fast path everywhere (SlowFast's design).
_SLOW_TEMPORAL = (1, 1, 3, 3)
_FAST_TEMPORAL = (3, 3, 3, 3)
_SPATIAL_STRIDES = (1, 2, 2, 2)


class ConvBN(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: tuple[int, int, int], stride: tuple[int, int, int] = (1, 1, 1)):
        super().__init__()
        padding = tuple(k // 2 for k in kernel)
        self.conv = nn.Conv3d(cin, cout, kernel, stride, padding, bias=False)
        self.bn = nn.BatchNorm3d(cout, eps=1e-5, momentum=0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


class Bottleneck(nn.Module):
    def __init__(self, cin: int, inner: int, cout: int, temporal: int, stride: int):
        super().__init__()
        self.a = ConvBN(cin, inner, (temporal, 1, 1))
        self.b = ConvBN(inner, inner, (1, 3, 3), (1, stride, stride))
        self.c = ConvBN(inner, cout, (1, 1, 1))
        self.shortcut = ConvBN(cin, cout, (1, 1, 1), (1, stride, stride)) if cin != cout or stride != 1 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.c(F.relu(self.b(F.relu(self.a(x)))))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class Stem(nn.Module):
    def __init__(self, cin: int, cout: int, temporal: int):
        super().__init__()
        self.conv = nn.Conv3d(cin, cout, (temporal, 7, 7), (1, 2, 2), (temporal // 2, 3, 3), bias=False)
        self.bn = nn.BatchNorm3d(cout, eps=1e-5, momentum=0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool3d(F.relu(self.bn(self.conv(x))), (1, 3, 3), (1, 2, 2), (0, 1, 1))


class Fuse(nn.Module):
    """Fast -> slow lateral connection: a temporally strided conv brings the fast features to the slow rate."""

    def __init__(self, channels: int, ratio: int, kernel: int, alpha: int):
        super().__init__()
        self.conv = nn.Conv3d(channels, channels * ratio, (kernel, 1, 1), (alpha, 1, 1), (kernel // 2, 0, 0), bias=False)
        self.bn = nn.BatchNorm3d(channels * ratio, eps=1e-5, momentum=0.1)

    def forward(self, slow: torch.Tensor, fast: torch.Tensor) -> torch.Tensor:
        return torch.cat([slow, F.relu(self.bn(self.conv(fast)))], dim=1)


class SlowFast(nn.Module):
    def __init__(self, s: MotionSettings):
        super().__init__()
        self.settings = s
        slow, fast = s.width, s.width // s.beta_inv
        self.stem = nn.ModuleDict({"slow": Stem(3, slow, 1), "fast": Stem(3, fast, 5)})
        self.fuse = nn.ModuleList()  # before each stage: after the stem and stages 0..2, never after the last
        self.stages = nn.ModuleList()
        slow_in, fast_in = slow, fast
        for k, depth in enumerate(s.depths):
            self.fuse.append(Fuse(fast_in, s.fusion_ratio, s.fusion_kernel, s.alpha))
            slow_in += fast_in * s.fusion_ratio
            slow_inner, fast_inner = slow * 2**k, fast * 2**k
            self.stages.append(nn.ModuleDict({
                "slow": _stage(slow_in, slow_inner, depth, _SLOW_TEMPORAL[k], _SPATIAL_STRIDES[k]),
                "fast": _stage(fast_in, fast_inner, depth, _FAST_TEMPORAL[k], _SPATIAL_STRIDES[k]),
            }))
            slow_in, fast_in = slow_inner * 4, fast_inner * 4
        self._zero_last_bn()

    def _zero_last_bn(self) -> None:
        """Each residual block starts as the identity, so a randomly initialised network stays
        well scaled through its depth (the converted weights replace this)."""
        for module in self.modules():
            if isinstance(module, Bottleneck):
                nn.init.zeros_(module.c.bn.weight)

    def forward(self, clip: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """clip (B, 3, T, H, W) at the full frame rate -> slow (B, Cs, ceil(T/τ)) and fast (B, Cf, ceil(T/(τ/α))) features."""
        s = self.settings
        slow = self.stem["slow"](clip[:, :, :: s.tau])
        fast = self.stem["fast"](clip[:, :, :: s.fast_stride])
        for fuse, stage in zip(self.fuse, self.stages):
            slow = fuse(slow, fast)
            slow, fast = stage["slow"](slow), stage["fast"](fast)
        return slow.mean(dim=(3, 4)), fast.mean(dim=(3, 4))


def _stage(cin: int, inner: int, depth: int, temporal: int, stride: int) -> nn.Sequential:
    return nn.Sequential(*(
        Bottleneck(cin if i == 0 else inner * 4, inner, inner * 4, temporal, stride if i == 0 else 1) for i in range(depth)
    ))


class MotionEncoder(nn.Module):
    """SlowFast backbone -> motion tokens (B, T_fast, feature_dim) with temporal positions added."""

    def __init__(self, s: MotionSettings):
        super().__init__()
        self.settings = s
        self.backbone = SlowFast(s)
        self.temporal_position = nn.Embedding(s.max_tokens, s.feature_dim)
        nn.init.normal_(self.temporal_position.weight, std=0.02)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        # a frozen backbone keeps no activations for backward; the positions still learn
        with torch.set_grad_enabled(torch.is_grad_enabled() and any(p.requires_grad for p in self.backbone.parameters())):
            slow, fast = self.backbone(clip)
        tokens = fast.transpose(1, 2)
        if self.settings.features == "slowfast":
            # each fast frame takes the slow feature of the slow step it falls in
            index = torch.arange(tokens.shape[1], device=tokens.device) // self.settings.alpha
            tokens = torch.cat([tokens, slow.transpose(1, 2)[:, index]], dim=-1)
        if tokens.shape[1] > self.temporal_position.num_embeddings:
            raise ValueError(f"{tokens.shape[1]} motion tokens, but positions for only {self.temporal_position.num_embeddings}")
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        return tokens + self.temporal_position(positions).to(tokens.dtype)

    def token_count(self, frames: int) -> int:
        return -(-frames // self.settings.fast_stride)
