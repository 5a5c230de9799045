"""Text <-> token ids around the media: chat templates, placeholder expansion, level-word ids.

`<image>` and `<motion>` never enter the tokenizer's vocabulary: text is split at them and
each run of media positions is written as a sentinel id (negative, so it can never collide
with a real token) that the model replaces with projected features. The layout of those
runs (all frames then all motion, or second by second) is decided here, once, for training
and inference alike. Level-word ids are looked up from the tokenizer in the context they
are scored in, so any vocabulary works and nothing is hard-coded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

IMAGE, MOTION = "<image>", "<motion>"
IMAGE_ID, MOTION_ID = -200, -300
IGNORE = -100
_PLACEHOLDER = re.compile(r"(<image>|<motion>)")
#: A number in an answer ("... the quality score of this video is 72.00.").
NUMBER = re.compile(r"\d+(?:\.\d+)?")
#: For an LLM checkpoint without a chat template (a base model).
FALLBACK_TEMPLATE = (
    "{% for m in messages %}### {{ m['role'] }}:\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}### assistant:\n{% endif %}"
)
_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}


def messages_from_record(record: dict) -> list[dict]:
    """InternVL / LLaVA (``conversations`` with from/value) or ShareGPT (``messages`` with role/content) -> chat messages."""
    if "conversations" in record:
        turns = [(t["from"], t["value"]) for t in record["conversations"]]
    elif "messages" in record:
        turns = [(t["role"], t["content"]) for t in record["messages"]]
    else:
        raise ValueError("a record needs 'conversations' (InternVL, LLaVA) or 'messages' (ShareGPT)")
    try:
        return [{"role": _ROLES[role], "content": text} for role, text in turns]
    except KeyError as error:
        raise ValueError(f"unknown speaker {error.args[0]!r}") from None


def with_placeholders(messages: list[dict], motion: bool) -> list[dict]:
    """``<video>`` means frames and motion; a conversation naming no media gets them in front of its first question
    (InternVL's plain prompts leave that to the loader)."""
    messages = [dict(m, content=m["content"].replace("<video>", f"{IMAGE}\n{MOTION}")) for m in messages]
    if not any(IMAGE in m["content"] for m in messages):
        first = next(i for i, m in enumerate(messages) if m["role"] == "user")
        lead = f"{IMAGE}\n{MOTION}\n" if motion else f"{IMAGE}\n"
        messages[first] = dict(messages[first], content=lead + messages[first]["content"])
    return messages


def render(tokenizer, messages: list[dict], add_generation_prompt: bool) -> str:
    """The chat template's text; a template that refuses a system turn gets it in front of the first question."""
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
    except Exception:  # jinja raises from the template itself ("System role not supported")
        if messages[0]["role"] != "system":
            raise
        system, rest = messages[0]["content"], [dict(m) for m in messages[1:]]
        rest[0]["content"] = f"{system}\n{rest[0]['content']}"
        return tokenizer.apply_chat_template(rest, tokenize=False, add_generation_prompt=add_generation_prompt)


def conversation_pieces(tokenizer, messages: list[dict]) -> list[tuple[str, bool]]:
    """(text, is_answer) pieces; rendering the conversation turn by turn tells where each answer starts and ends."""
    pieces, done = [], ""
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = render(tokenizer, messages[:i], add_generation_prompt=True)
        full = render(tokenizer, messages[: i + 1], add_generation_prompt=False)
        if not (prompt.startswith(done) and full.startswith(prompt)):
            raise ValueError("the chat template does not render a conversation as a prefix of its continuation; cannot mask prompts")
        pieces += [(prompt[len(done):], False), (full[len(prompt):], True)]
        done = full
    if not pieces:
        raise ValueError("the conversation has no answer to learn")
    return pieces


def media_runs(tokens_per_frame: int, keyframe_times: Sequence[float], motion_times: Sequence[float], layout: str) -> dict[str, list[int]]:
    """Sentinel ids for each placeholder. "interleave" puts, per keyframe, its tokens and then
    the motion tokens of its stretch of time (between the midpoints to its neighbours: one
    second each with 1 fps keyframes), all at <image>; <motion> then expands to nothing."""
    if layout == "concat":
        return {IMAGE: [IMAGE_ID] * (tokens_per_frame * len(keyframe_times)), MOTION: [MOTION_ID] * len(motion_times)}
    bounds = [(a + b) / 2 for a, b in zip(keyframe_times, keyframe_times[1:])]
    counts = [0] * len(keyframe_times)
    for t in motion_times:
        counts[sum(t >= b for b in bounds)] += 1
    run = []
    for count in counts:
        run += [IMAGE_ID] * tokens_per_frame + [MOTION_ID] * count
    return {IMAGE: run, MOTION: []}


def encode(tokenizer, pieces: list[tuple[str, bool]], runs: dict[str, list[int]]) -> tuple[list[int], list[int]]:
    """(input ids, labels): answers are labelled, prompts and media are IGNORE. Each placeholder
    expands at its first occurrence only, so a repeated one cannot duplicate the video."""
    ids, labels, used = [], [], set()
    for text, is_answer in pieces:
        for part in _PLACEHOLDER.split(text):
            if part in runs:
                run = [] if part in used else runs[part]
                used.add(part)
                ids += run
                labels += [IGNORE] * len(run)
            elif part:
                tokens = tokenizer(part, add_special_tokens=False)["input_ids"]
                ids += tokens
                labels += tokens if is_answer else [IGNORE] * len(tokens)
    return ids, labels


def continuation_token(tokenizer, context: str, word: str) -> int:
    """The first token `word` adds after `context` (with a space): the first sub-token of " excellent", in context."""
    before = tokenizer(context, add_special_tokens=False)["input_ids"]
    after = tokenizer(f"{context} {word}", add_special_tokens=False)["input_ids"]
    if after[: len(before)] != before or len(after) == len(before):
        raise ValueError(f"the tokenizer does not extend {context!r} by {word!r} token-wise; cannot score level words")
    return after[len(before)]


def level_token_ids(tokenizer, context: str, levels: Sequence[str]) -> list[int]:
    ids = [continuation_token(tokenizer, context, word) for word in levels]
    if len(set(ids)) != len(ids):
        raise ValueError(f"level words {list(levels)} share first sub-tokens {ids} in this tokenizer; their scores would be tied")
    return ids
