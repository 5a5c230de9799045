"""Synthetic footage with known distortions at known levels, for tests and calibration.

`content` paints natural-looking source clips, `distortions` holds the one registry of
distortions (five levels each), `video` writes the result with PyAV.
"""

from .content import iter_clip, make_clip
from .distortions import DISTORTIONS, Distorted, Distortion, distort
from .video import make_test_video, write_video

__all__ = ["DISTORTIONS", "Distorted", "Distortion", "distort", "iter_clip", "make_clip", "make_test_video", "write_video"]
