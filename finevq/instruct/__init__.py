"""Instruction data and quality Q&A: Score2Instruct-style generation, FineVQ's question types, text evaluation.

Everything here reads `Assessment`s or labels and knows nothing of how scores were made;
the typer commands live in `finevq.instruct.cli` so importing this package needs no CLI.
"""

from .answers import Answer
from .ask import ask, ask_model
from .dataset import FORMATS, split_paths, split_videos, write_dataset
from .evaluate import TextEvaluation, evaluate_text, extract_claims
from .facts import VideoFacts, facts_from_assessment
from .generate import Sample, generate
from .intents import QUESTION_TYPES
from .labels import LabelsError, read_labels, write_labels
from .parse import parse_question

__all__ = [
    "Answer",
    "FORMATS",
    "LabelsError",
    "QUESTION_TYPES",
    "Sample",
    "TextEvaluation",
    "VideoFacts",
    "ask",
    "ask_model",
    "evaluate_text",
    "extract_claims",
    "facts_from_assessment",
    "generate",
    "parse_question",
    "read_labels",
    "split_paths",
    "split_videos",
    "write_dataset",
    "write_labels",
]
