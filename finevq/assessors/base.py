"""The contract every assessor keeps: one video in, one `Assessment` out, never an exception."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

from ..errors import AssessmentError
from ..schema import Assessment, ModelInfo


class Assessor(ABC):
    model_info: ModelInfo

    @abstractmethod
    def _assess(self, path: str) -> Assessment:
        """Assess one video; raise AssessmentError for a video that cannot be assessed."""

    def assess(self, path: str | os.PathLike) -> Assessment:
        video = os.fspath(path)
        try:
            return self._assess(video)
        except AssessmentError as error:
            return Assessment.failure(video, self.model_info, error.code, error.message)
        except MemoryError:
            return Assessment.failure(video, self.model_info, "too_large", "ran out of memory while assessing this video")
        except Exception as error:  # a bug must cost one video, not the batch
            return Assessment.failure(video, self.model_info, "internal", f"{type(error).__name__}: {error}")

    def assess_many(self, paths: Iterable[str | os.PathLike]) -> Iterator[Assessment]:
        for path in paths:
            yield self.assess(path)
