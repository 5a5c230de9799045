"""Projectors: features of a frozen encoder -> the LLM's embedding space.

A two-layer MLP with GELU (LLaVA-1.5's choice, FineVQ's P_I and P_M) is the smallest map
that is not linear; one per path, because frame features and motion features come from
unrelated networks and need not share a map. The regression head reuses the shape.
"""

from __future__ import annotations

from torch import nn


class Projector(nn.Sequential):
    def __init__(self, in_dim: int, out_dim: int, hidden: int | None = None):
        hidden = hidden or out_dim
        super().__init__(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim))
