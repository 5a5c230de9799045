"""Answering one question about one video from its assessment, in FineVQ's question types.

The text is parsed into an intent and answered from the assessment's facts by the same
function that writes the training answers. A question the parser does not understand gets
the list of supported types instead of a best guess. Model-backed answering goes through
`ask_model`, the one function a later LMM engine fills in.
"""

from __future__ import annotations

from ..schema import Assessment
from .answers import Answer, answer
from .facts import VideoFacts, facts_from_assessment
from .intents import QUESTION_TYPES, NotUnderstood
from .parse import parse_question

LMM_UNAVAILABLE = "the LMM assessor is not available in this build"


def ask(subject: Assessment | VideoFacts, question: str) -> Answer:
    """Answer `question` about an assessed video; raises ValueError for a failed assessment."""
    facts = subject if isinstance(subject, VideoFacts) else facts_from_assessment(subject)
    intent = parse_question(question)
    if isinstance(intent, NotUnderstood):
        return unsupported(intent.reason)
    return answer(intent, facts)


def unsupported(reason: str) -> Answer:
    examples = "\n".join(f"- {kind}: {example}" for kind, example in QUESTION_TYPES.items())
    return Answer("unsupported", f"I can't answer this question: {reason}.\nI answer these question types:\n{examples}")


def ask_model(weights: str, video: str, question: str) -> Answer:
    """Answer with a tuned LMM (``--model lmm:PATH``): generated text, typed by the question parser.

    Raises NotImplementedError (saying why) when the LMM cannot run: no 'lmm' extra, or
    `weights` is not a model directory made by ``finevq lmm init`` / ``train``.
    """
    from ..lmm.assessor import LMMUnavailable, answer_question

    try:
        return answer_question(weights, video, question)
    except LMMUnavailable as error:
        raise NotImplementedError(f"{LMM_UNAVAILABLE}: {error}") from None
