"""Heads: from measured signals to scores, levels and distortion attributions."""

from .model import Detector, Heads, Prediction, load_default_heads

__all__ = ["Detector", "Heads", "Prediction", "load_default_heads"]
