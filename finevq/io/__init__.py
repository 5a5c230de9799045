"""Video in: probing, one streaming decode, and the plan of which frames each path sees."""

from .decode import DecodedFrame, decode_frames
from .probe import Limits, VideoSource, open_video
from .sampling import SamplingPlan, plan_sampling

__all__ = ["DecodedFrame", "Limits", "SamplingPlan", "VideoSource", "decode_frames", "open_video", "plan_sampling"]
