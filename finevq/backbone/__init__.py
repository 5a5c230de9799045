"""EfficientNet-Lite0 features. `deep_features` (ONNX Runtime inference), `prepare` and `background`
are torch-free; the torch model in `network` is only imported on first use of its names."""

from .architecture import FEATURE_NAMES
from .background import BackgroundFeatures
from .inference import deep_features, load_lite0
from .prepare import INPUT_SIZE, prepare_frame

_NETWORK_NAMES = {"EfficientNetLite0", "SameConv2d", "load_backbone"}


def __getattr__(name):
    if name in _NETWORK_NAMES:
        from . import network

        return getattr(network, name)
    raise AttributeError(name)


__all__ = ["FEATURE_NAMES", "INPUT_SIZE", "BackgroundFeatures", "deep_features", "load_lite0", "prepare_frame", *sorted(_NETWORK_NAMES)]
