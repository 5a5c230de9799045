"""The process settings the fast assessor measures under (finevq.assessors.process)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

# Allocates four float 1080p planes (8 MiB each) and frees them, 10 times, as the spatial
# path's temporaries come and go, and prints the page faults that took, before and after
# tuning. (One plane at a time would not show it: glibc keeps up to twice its largest freed
# block, 16 MiB here, untrimmed.)
_FAULTS = """
import resource, numpy as np, cv2

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        planes = [np.ones((1080, 1920), np.float32) for _ in range(4)]
        del planes
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

faults()
untuned = faults()
from finevq.assessors.process import tune_for_measuring
tune_for_measuring()
faults()
print(untuned, faults(), cv2.getNumThreads())
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="the heap cushion is a glibc setting")
def test_freed_frames_are_reused_without_new_pages():
    untuned, tuned, threads = map(int, subprocess.run([sys.executable, "-c", _FAULTS], capture_output=True, text=True, check=True).stdout.split())
    assert untuned >= 5000, untuned  # most rounds fault their planes in afresh (~2,000 pages each)
    assert tuned < 200, tuned
    assert threads == 1


def _python(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"} | env
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment).stdout.strip()


def test_the_command_gives_numpy_and_opencv_one_blas_thread_unless_told_otherwise():
    code = ("import finevq.cli, numpy, cv2, threadpoolctl; "
            "print(sorted({i['num_threads'] for i in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas'}))")
    assert _python(code) == "[1]"
    assert _python(code, OPENBLAS_NUM_THREADS="2") == "[2]"


def test_deciding_whether_a_command_is_a_batch_loads_no_batch_engine():
    code = "import sys, finevq.batch.request; print(sorted(m for m in sys.modules if m.startswith('finevq.batch')))"
    assert _python(code) == "['finevq.batch', 'finevq.batch.request']"
