"""EfficientNet-Lite0 features. `prepare` and `background` are cheap and torch-free; `network`
imports torch, so it is only loaded on first use of its names."""

from .background import BackgroundFeatures
from .prepare import INPUT_SIZE, prepare_frame

_NETWORK_NAMES = {"EfficientNetLite0", "FEATURE_NAMES", "SameConv2d", "deep_features", "load_backbone"}


def __getattr__(name):
    if name in _NETWORK_NAMES:
        from . import network

        return getattr(network, name)
    raise AttributeError(name)


__all__ = ["INPUT_SIZE", "BackgroundFeatures", "prepare_frame", *sorted(_NETWORK_NAMES)]
