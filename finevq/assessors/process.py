"""Process-wide settings the fast assessor's pipeline runs best under.

`measure` keeps both cores busy with threads of its own (decode, motion, spatial,
backbone), so anything that adds hand-offs or kernel work on top of them costs wall time:

- OpenCV's own thread pool only adds hand-offs: a thumbnail resize cost 0.77 ms of CPU with
  two OpenCV threads and 0.52 ms with one.
- glibc hands the free memory at the top of a heap back to the kernel once it exceeds the
  trim threshold (at most twice the largest block freed so far: 16 MiB for a float 1080p
  plane). The spatial path holds several such 8 MiB temporaries at once, so they went back
  and came again as fresh pages the kernel must zero: a sampled 1080p frame's signals took
  61 ms of CPU, 39 ms with the freed memory kept. A 64 MiB cushion per heap keeps it (10 s
  1080p assess: 77k page faults -> 51k; with the command's gc.freeze, 0.24 s less CPU per
  run over 12 interleaved rounds; peak RSS unchanged at ~300 MiB, since the cushion only
  keeps pages the pipeline had already touched).
"""

from __future__ import annotations

import ctypes
import functools

import cv2

#: glibc's mallopt parameter for the free memory a heap keeps at its top when trimmed.
_M_TOP_PAD = -2
HEAP_CUSHION = 64 << 20


@functools.cache
def tune_for_measuring() -> None:
    """Set OpenCV to one thread and give glibc heaps a 64 MiB cushion, once per process.
    Where the C library has no mallopt (macOS) or ignores it (musl) only speed differs."""
    cv2.setNumThreads(1)
    try:
        mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the C library the process already runs on
    except OSError:
        mallopt = None
    if mallopt is not None:
        mallopt(_M_TOP_PAD, HEAP_CUSHION)
