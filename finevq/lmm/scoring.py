"""Level-word scoring (Q-Align, VQA² eq. 1) and the prompts the six dimensions are asked with.

A score is the expectation of the five level words' probabilities at the answer position,
weighted 1, 0.75, 0.5, 0.25, 0 and scaled to 0-100: it uses the model's uncertainty between
neighbouring levels, which a generated word throws away. The question and the answer's
opening words are the first (FineVQ) wording of `finevq.instruct`, the data the model was
tuned on, so the level word is predicted exactly where training put it.
"""

from __future__ import annotations

import torch

from ..instruct import templates as T
from ..instruct.facts import VideoFacts
from ..instruct.generate import vqa2_system_prompt
from ..taxonomy import SEVERITY_LEVELS, Dimension, levels_for
from .config import LMMConfig
from .media import Clip

LEVEL_WEIGHTS = (1.0, 0.75, 0.5, 0.25, 0.0)


def level_score(level_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, 5) logits of the level words, best first -> (scores 0-100, probabilities)."""
    probabilities = torch.softmax(level_logits.float(), dim=-1)
    weights = torch.tensor(LEVEL_WEIGHTS, device=probabilities.device)
    return 100.0 * probabilities @ weights, probabilities


def rating_prompt(dimension: Dimension) -> tuple[str, str]:
    """(question, answer opening): the level word follows the opening after a space."""
    question = T.RATING[0].text.format(name=T.NAME[dimension], phrase=T.PHRASE[dimension], levels=", ".join(levels_for(dimension)))
    answers = T.SEVERITY_RATING_ANSWERS if levels_for(dimension) == SEVERITY_LEVELS else T.RATING_ANSWERS
    opening = answers[0].split("{level}")[0].format(name=T.NAME[dimension], Name=T.NAME[dimension].capitalize(), phrase=T.PHRASE[dimension])
    return question, opening.rstrip()


def score_question(dimension: Dimension) -> str:
    """What the regression head reads the hidden state after (FineVQ's scoring question)."""
    return T.SCORE[0].text.format(name=T.NAME[dimension], phrase=T.PHRASE[dimension], scale=T.SCALE_TEXT[100])


def system_prompt(config: LMMConfig, clip: Clip) -> str | None:
    """VQA²'s training prompt with this video's length and frame count, as `finevq instruct` writes it."""
    if config.prompt == "plain":
        return None
    facts = VideoFacts(video="", scores={}, levels={}, distortions=None,
                       duration=clip.info.duration, frame_count=clip.info.frame_count)
    return vqa2_system_prompt(facts)
