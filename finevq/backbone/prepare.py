"""The backbone's input: short side to 224, centre crop. Torch-free, so the decoder can
prepare the sampled frames while torch is still importing in another thread."""

import cv2
import numpy as np

INPUT_SIZE = 224


def prepare_frame(frame: np.ndarray) -> np.ndarray:
    """Short side to 224 then centre crop: keeps geometry undistorted, which matters because
    stretching alone would read as a quality change."""
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 HxWx3 frame, got {frame.dtype} {frame.shape}")
    h, w = frame.shape[:2]
    scale = INPUT_SIZE / min(h, w)
    nh, nw = max(INPUT_SIZE, round(h * scale)), max(INPUT_SIZE, round(w * scale))
    if (nh, nw) != (h, w):
        frame = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_AREA)
    top, left = (nh - INPUT_SIZE) // 2, (nw - INPUT_SIZE) // 2
    return frame[top : top + INPUT_SIZE, left : left + INPUT_SIZE]
