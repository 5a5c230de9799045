"""SIG's instruction generation: per-video facts -> question/answer samples of every question type.

Score2Instruct's point is that scores and levels alone are enough to write quality
instructions, so nothing here needs a human-written description or a proprietary model.
Each question is built as an intent, rendered with a randomly chosen paraphrase, and
answered by `answers.answer`, the same function `ask` uses. The random generator is
seeded per video (seed and path), so a video's samples do not change when rows are added.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..schema import Assessment
from ..taxonomy import DIMENSIONS, DISTORTION_DIMENSIONS, DISTORTION_TYPES, levels_for
from . import templates as T
from .answers import answer
from .facts import TIMED_TYPES, VideoFacts, facts_from_assessment
from .intents import Choice, Describe, HowOften, Intent, Option, Presence, Rating, Score, StallingSummary, When
from .labels import read_labels


@dataclass(frozen=True)
class Sample:
    """One question about one video and its answer, before it is put in a trainer's format."""

    video: str
    kind: str
    question: str
    answer: str
    #: Index of the paraphrase in its question type's template list.
    template: int
    #: VQA²'s system prompt with the <image> and <motion> placeholders; None for plain prompts.
    system: str | None


def generate(
    labels: str | Path | Iterable[VideoFacts | Assessment],
    *,
    seed: int = 0,
    score_scale: int = 100,
    system_prompt: bool = True,
) -> list[Sample]:
    """Samples for every video in a labels file (or given facts / assessments), in input order."""
    if score_scale not in T.SCALE_TEXT:
        raise ValueError(f"score_scale must be one of {sorted(T.SCALE_TEXT)}, not {score_scale}")
    if isinstance(labels, (str, Path)):
        labels = read_labels(labels)
    samples = []
    for item in labels:
        facts = item if isinstance(item, VideoFacts) else facts_from_assessment(item)
        rng = random.Random(f"{seed}:{facts.video}")
        system = vqa2_system_prompt(facts) if system_prompt else None
        for intent, templates, fields in _questions(facts, rng, score_scale):
            index = rng.randrange(len(templates))
            reply = answer(intent, facts, rng)
            text = str(reply.value) if templates[index].terse else reply.text
            samples.append(Sample(facts.video, intent.kind, templates[index].text.format(**fields), text, index, system))
    return samples


def vqa2_system_prompt(facts: VideoFacts) -> str:
    """VQA²'s training prompt when the length is known, else its end-to-end scoring prompt."""
    tail = "Please watch this video carefully, and then answer the following question."
    if not facts.duration:
        return f"The key frames of this video are: <image>. And the motion feature of the video is <motion>. {tail}"
    seconds = max(1, round(facts.duration))
    frames = f"all {facts.frame_count} frames" if facts.frame_count else "all frames"
    return (
        f"Now you will receive one video. This video is {seconds} seconds long, and you will see a sequence of keyframes "
        f"sampled uniformly at 1 frame per second, in the original order of the video: {seconds} images in total: <image>. "
        f"In addition, you will also obtain motion features extracted from {frames} of the entire video, also in the "
        f"original frame order: <motion>. {tail}"
    )


def _questions(facts: VideoFacts, rng: random.Random, score_scale: int) -> Iterator[tuple[Intent, tuple, dict]]:
    for dim in DIMENSIONS:
        yield Rating(dim), T.RATING, dict(name=T.NAME[dim], phrase=T.PHRASE[dim], levels=", ".join(levels_for(dim)))
    for dim in DIMENSIONS:
        yield Score(dim, score_scale), T.SCORE, dict(name=T.NAME[dim], phrase=T.PHRASE[dim], scale=T.SCALE_TEXT[score_scale])
    for dim in DISTORTION_DIMENSIONS:
        yield Presence(dimension=dim), T.YES_NO, dict(noun=T.DISTORTION_NOUN[dim])
    type_choice = _type_choice(facts, rng)
    if type_choice is not None:
        yield type_choice, T.WHICH_TYPE, _option_fields(type_choice)
    dimension_choice = _dimension_choice(facts, rng)
    yield dimension_choice, T.WHICH_DIMENSION, _option_fields(dimension_choice)
    yield Describe(), T.DESCRIPTION, {}
    if facts.events is not None:
        absent = [t for t in TIMED_TYPES if not facts.events_of(t)]
        for type_name in TIMED_TYPES:
            fields = dict(clause=T.EVENT_WORDS[type_name].clause, noun=type_name)
            if type_name not in absent:
                yield When(type_name), T.WHEN, fields
                yield HowOften(type_name), T.HOW_OFTEN, fields
            elif type_name == absent[0]:  # one "it never happens" question per video
                intent, templates = rng.choice(((When(type_name), T.WHEN), (HowOften(type_name), T.HOW_OFTEN)))
                yield intent, templates, fields
    if facts.events is not None or facts.stalls is not None:
        yield StallingSummary(), T.STALL_SUMMARY, {}


def _type_choice(facts: VideoFacts, rng: random.Random) -> Choice | None:
    """FineVQ's "which distortion exists": one present type (or "None") among absent ones.

    Skipped when "None" could be wrong without us knowing: types unlabelled, or a dimension
    is below its best band but no type of it is listed.
    """
    present = facts.present_types()
    if not facts.types_known or (not present and any(facts.is_distorted(d) for d in DISTORTION_DIMENSIONS)):
        return None
    absent = [t.name for t in DISTORTION_TYPES if t.name not in present]
    options = [(T.NO_TYPE_OPTION, None)]
    if present:
        correct = rng.choice(present)
        options += [(correct, correct)] + [(t, t) for t in rng.sample(absent, 3)]
    else:
        options += [(t, t) for t in rng.sample(absent, 4)]
    return _shuffled("type", options, rng)


def _dimension_choice(facts: VideoFacts, rng: random.Random) -> Choice:
    """FineVQ's "which dimension has the greatest impact", with "Video quality is good" always offered."""
    target = facts.most_impactful
    others = [d for d in DISTORTION_DIMENSIONS if d is not target]
    picked = ([target] if target else []) + rng.sample(others, 4 if target is None else 3)
    options = [(T.GOOD_OPTION, None)] + [(T.OPTION_NAME[d], d) for d in picked]
    return _shuffled("dimension", options, rng)


def _shuffled(subject: str, options: list[tuple[str, object]], rng: random.Random) -> Choice:
    rng.shuffle(options)
    return Choice(subject, tuple(Option("ABCDE"[i], text, value) for i, (text, value) in enumerate(options)))


def _option_fields(choice: Choice) -> dict[str, str]:
    return dict(
        brace="{" + ", ".join(f"{o.letter}:[{o.text}]" for o in choice.options) + "}",
        lines="\n".join(f"{o.letter}. {o.text}" for o in choice.options),
    )
