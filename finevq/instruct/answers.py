"""Intent + facts -> answer: the single place that decides what is true about a video.

Generation calls it with a random generator to vary the wording; `ask` calls it without
one and gets the first, stable phrasing. When the facts cannot settle a question (no
timeline, types never labelled) the answer says so instead of guessing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Sequence

from ..taxonomy import DISTORTION_DIMENSIONS, SEVERITY_LEVELS, Dimension, distortion, levels_for
from . import templates as T
from .facts import VideoFacts
from .intents import Choice, Describe, HowOften, Intent, LevelCheck, Option, Presence, Rating, Score, StallingSummary, When


@dataclass(frozen=True)
class Answer:
    #: The question type (see intents.QUESTION_TYPES), or "unsupported".
    kind: str
    text: str
    #: The short answer: a level word, a score, "Yes"/"No", an option letter, a count; None if open.
    value: str | float | int | tuple | None = None

    def __str__(self) -> str:
        return self.text


class _Pick:
    def __init__(self, rng: random.Random | None):
        self.rng = rng

    def __call__(self, variants: Sequence[str]) -> str:
        return variants[0] if self.rng is None else self.rng.choice(variants)


def answer(intent: Intent, facts: VideoFacts, rng: random.Random | None = None) -> Answer:
    return _ANSWERERS[type(intent)](intent, facts, _Pick(rng))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _severity_scaled(dimension: Dimension) -> bool:
    return levels_for(dimension) == SEVERITY_LEVELS


def _rating(intent: Rating, facts: VideoFacts, pick: _Pick) -> Answer:
    dim, level = intent.dimension, facts.levels[intent.dimension]
    variants = T.SEVERITY_RATING_ANSWERS if _severity_scaled(dim) else T.RATING_ANSWERS
    text = pick(variants).format(name=T.NAME[dim], Name=_cap(T.NAME[dim]), phrase=T.PHRASE[dim], level=level)
    return Answer(intent.kind, text, level)


def _score(intent: Score, facts: VideoFacts, pick: _Pick) -> Answer:
    score = facts.scores[intent.dimension]
    value = round(score if intent.scale == 100 else 1.0 + 4.0 * score / 100.0, 2)
    text = pick(T.SCORE_ANSWERS).format(name=T.NAME[intent.dimension], phrase=T.PHRASE[intent.dimension], score=f"{value:.2f}")
    return Answer(intent.kind, text, value)


def _presence(intent: Presence, facts: VideoFacts, pick: _Pick) -> Answer:
    if intent.type is not None:
        if not facts.knows_type(intent.type):
            return Answer(intent.kind, f"The distortion types of this video are not known, so I cannot tell whether it has {intent.type}.")
        if intent.type in facts.present_types():
            return Answer(intent.kind, pick(T.YES_ANSWERS).format(noun=intent.type, detail=""), "Yes")
        return Answer(intent.kind, pick(T.NO_ANSWERS[:2]).format(noun=intent.type), "No")
    if intent.dimension is None:
        distorted = [T.DISTORTION_NOUN[d] for d in DISTORTION_DIMENSIONS if facts.is_distorted(d)]
        if distorted:
            return Answer(intent.kind, f"Yes, this video shows {_join(distorted)}.", "Yes")
        return Answer(intent.kind, "No, this video shows no distortion.", "No")
    dim = intent.dimension
    noun = T.DISTORTION_NOUN[dim]
    if facts.is_distorted(dim):
        types = facts.types_of(dim)
        detail = f", mainly {_join(types)}" if types else ""
        return Answer(intent.kind, pick(T.YES_ANSWERS).format(noun=noun, detail=detail), "Yes")
    return Answer(intent.kind, pick(T.NO_ANSWERS).format(noun=noun, phrase=T.PHRASE[dim], level=facts.levels[dim]), "No")


def _level_check(intent: LevelCheck, facts: VideoFacts, pick: _Pick) -> Answer:
    actual = facts.levels[intent.dimension]
    phrase = T.PHRASE[intent.dimension]
    if actual == intent.level:
        return Answer(intent.kind, f"Yes, the {phrase} of this video is {actual}.", "Yes")
    return Answer(intent.kind, f"No, the {phrase} of this video is {actual}.", "No")


def _choice(intent: Choice, facts: VideoFacts, pick: _Pick) -> Answer:
    chosen = _type_option(intent, facts) if intent.subject == "type" else _dimension_option(intent, facts)
    if isinstance(chosen, str):
        return Answer(intent.kind, chosen)
    return Answer(intent.kind, f"{chosen.letter}. {chosen.text}", chosen.letter)


def _none_option(intent: Choice) -> Option | None:
    return next((o for o in intent.options if o.value is None), None)


def _type_option(intent: Choice, facts: VideoFacts) -> Option | str:
    """A present type, preferring the most impactful dimension and then severity; else "None"."""
    if not facts.types_known:
        return "The distortion types of this video are not known, so I cannot choose among these options."
    present = facts.present_types()
    candidates = [o for o in intent.options if o.value in present]
    if candidates:
        return min(candidates, key=lambda o: (distortion(o.value).dimension is not facts.most_impactful,
                                              -facts.severities.get(o.value, 0), present.index(o.value)))
    return _none_option(intent) or "None of the listed distortion types is present in this video."


def _dimension_option(intent: Choice, facts: VideoFacts) -> Option | str:
    """The most impactful dimension; if it is not offered, the worst distorted one that is."""
    target = facts.most_impactful
    offered = [o for o in intent.options if o.value is not None]
    if target is not None:
        exact = next((o for o in offered if o.value is target), None)
        distorted = sorted((o for o in offered if facts.is_distorted(o.value)), key=lambda o: facts.scores[o.value])
        if exact or distorted:
            return exact or distorted[0]
    return _none_option(intent) or "The video quality is good; none of the listed dimensions degrades it."


def _spans(events) -> str:
    return _join([f"from {e.start:.1f} s to {e.end:.1f} s" for e in sorted(events, key=lambda e: e.start)])


def _timeline_unknown(kind: str, type_name: str) -> Answer:
    return Answer(kind, f"This video has no timeline, so I cannot tell when or how often {type_name} happens.")


def _when(intent: When, facts: VideoFacts, pick: _Pick) -> Answer:
    events = facts.events_of(intent.type)
    if events is None:
        return _timeline_unknown(intent.kind, intent.type)
    if not events:
        return Answer(intent.kind, pick(T.NEVER_ANSWERS).format(noun=intent.type), ())
    words = T.EVENT_WORDS[intent.type]
    text = pick(T.WHEN_ANSWERS).format(Sentence=_cap(words.sentence), Noun=_cap(intent.type), noun=intent.type,
                                       spans=_spans(events))
    return Answer(intent.kind, text, tuple((e.start, e.end) for e in sorted(events, key=lambda e: e.start)))


def _how_often(intent: HowOften, facts: VideoFacts, pick: _Pick) -> Answer:
    events = facts.events_of(intent.type)
    if events is None:
        return _timeline_unknown(intent.kind, intent.type)
    count = len(events)
    if not count:
        return Answer(intent.kind, pick(T.NEVER_ANSWERS).format(noun=intent.type), 0)
    times = {1: "once", 2: "twice"}.get(count, f"{count} times")
    text = pick(T.HOW_OFTEN_ANSWERS).format(
        Sentence=_cap(T.EVENT_WORDS[intent.type].sentence), times=times, count=count, noun=intent.type,
        are="is" if count == 1 else "are", s="" if count == 1 else "s", total=f"{sum(e.end - e.start for e in events):.1f}",
    )
    return Answer(intent.kind, text, count)


def _stall_summary(intent: StallingSummary, facts: VideoFacts, pick: _Pick) -> Answer:
    """VQA²'s summary: count, each duration, share of the video, initial buffering, smooth tail."""
    events = facts.events_of("stalling")
    if events is None and facts.stalls is None:
        return Answer(intent.kind, "This video has no stalling information, so I cannot summarize its stalling.")
    count = len(events) if events is not None else facts.stalls.count
    if count == 0:
        return Answer(intent.kind, "There are no stalling events in this video: playback is smooth from start to end.", 0)
    are, s = ("is", "") if count == 1 else ("are", "s")
    if events is None:
        st = facts.stalls
        return Answer(intent.kind, f"There {are} {count} stalling event{s} in this video, {st.total_seconds:.1f} s in total; "
                      f"the longest lasts {st.longest_seconds:.1f} s. Stalling takes up {st.share:.1%} of the video.", count)
    spans = sorted(events, key=lambda e: e.start)
    durations = [f"{e.end - e.start:.1f}" for e in spans]
    parts = [f"There {are} {count} stalling event{s} in this video, lasting {_join(durations)} s."]
    if facts.duration:
        initial = spans[0].end - spans[0].start if spans[0].start <= 0.05 else 0.0
        parts.append(f"Stalling takes up {sum(e.end - e.start for e in spans) / facts.duration:.1%} of the video.")
        parts.append(f"The initial buffering time is {initial:.1f} s, and playback runs "
                     f"{max(0.0, facts.duration - spans[-1].end):.1f} s after the last stall until the end.")
    return Answer(intent.kind, " ".join(parts), count)


def _describe(intent: Describe, facts: VideoFacts, pick: _Pick) -> Answer:
    """Score2Instruct's hierarchical chain: each dimension's level and cause -> the dominant one -> overall."""
    sentences = []
    for dim in DISTORTION_DIMENSIONS:
        types = facts.types_of(dim)
        cause = pick(T.CAUSES if facts.level_rank(dim) else T.TRACES).format(types=_join(types)) if types else ""
        variants = T.SEVERITY_SENTENCES if _severity_scaled(dim) else T.QUALITY_SENTENCES
        sentences.append(pick(variants).format(name=T.NAME[dim], Name=_cap(T.NAME[dim]), phrase=T.PHRASE[dim],
                                               level=facts.levels[dim], cause=cause))
    dominant = facts.most_impactful
    if dominant is None:
        sentences.append(pick(T.NO_DOMINANT))
    else:
        main = facts.types_of(dominant)
        especially = T.ESPECIALLY.format(type=main[0]) if main else ""
        sentences.append(pick(T.DOMINANT).format(phrase=T.PHRASE[dominant], Phrase=_cap(T.PHRASE[dominant]),
                                                 especially=especially))
    sentences.append(pick(T.OVERALL).format(level=facts.levels[Dimension.OVERALL]))
    return Answer(intent.kind, " ".join(sentences), facts.levels[Dimension.OVERALL])


_ANSWERERS: dict[type, Callable[..., Answer]] = {
    Rating: _rating,
    Score: _score,
    Presence: _presence,
    LevelCheck: _level_check,
    Choice: _choice,
    When: _when,
    HowOften: _how_often,
    StallingSummary: _stall_summary,
    Describe: _describe,
}
