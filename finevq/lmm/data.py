"""Instruction JSONL (as `finevq instruct` writes it) -> token ids, media and labels, streamed.

Records are read lazily and shuffled through a bounded buffer, so a dataset of any size
trains in constant memory; a video is decoded only when a record that needs it comes out of
the buffer, and a small cache keeps recent clips because one video has a few dozen questions.
Prompts are masked out of the labels by rendering the conversation turn by turn with the
LLM's own chat template (`tokens.conversation_pieces`). The same encoder builds inference
prompts, so a question is tokenized identically when it is learned and when it is asked.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import torch
from pydantic import BaseModel, ConfigDict
from torch.utils.data import IterableDataset, get_worker_info

from ..errors import AssessmentError
from ..instruct.intents import Score
from ..instruct.parse import parse_question
from .config import LMMConfig
from .media import Clip, motion_token_times, motion_values, pixel_values, read_clip
from .tokens import (
    IGNORE, IMAGE_ID, MOTION_ID, NUMBER, conversation_pieces, encode, media_runs, messages_from_record, render, with_placeholders,
)

log = logging.getLogger(__name__)


class DataSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    train: list[str]
    val: list[str] = []
    #: Relative video paths are looked up here first, then beside the JSONL file.
    video_root: str | None = None
    #: Question types to keep (the JSONL's "type"), None for all: FineVQ mixes every task.
    kinds: list[str] | None = None
    shuffle_buffer: int = 2048
    max_length: int = 4096
    clip_cache: int = 64
    num_workers: int = 0


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    pixel_values: torch.Tensor
    motion: torch.Tensor | None
    #: Score answers as 0-1 for the regression head; None for other questions.
    target: float | None


class ExampleEncoder:
    """Decodes videos (with a small LRU cache) and turns conversations into ids and labels."""

    def __init__(self, tokenizer, config: LMMConfig, max_length: int = 4096, clip_cache: int = 64):
        self.tokenizer = tokenizer
        self.config = config
        self.max_length = max_length
        self._cache: OrderedDict[str, Clip] = OrderedDict()
        self._cache_size = clip_cache

    def clip(self, path: str) -> Clip:
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        clip = read_clip(path, self.config)
        self._cache[path] = clip
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return clip

    def _runs(self, clip: Clip) -> dict[str, list[int]]:
        return media_runs(self.config.tokens_per_frame, clip.keyframe_times, motion_token_times(clip, self.config), self.config.layout)

    def training_ids(self, messages: list[dict], clip: Clip) -> tuple[list[int], list[int]]:
        messages = with_placeholders(messages, self.config.motion.enabled)
        return encode(self.tokenizer, conversation_pieces(self.tokenizer, messages), self._runs(clip))

    def prompt_ids(self, messages: list[dict], clip: Clip, opening: str = "") -> list[int]:
        """A question to answer: the template's generation prompt, then the answer's opening words if any."""
        messages = with_placeholders(messages, self.config.motion.enabled)
        pieces = [(render(self.tokenizer, messages, add_generation_prompt=True), False)] + ([(opening, True)] if opening else [])
        return encode(self.tokenizer, pieces, self._runs(clip))[0]

    def example(self, record: dict, video: str) -> Example | None:
        """None (and a log line) for a record whose video cannot be read or whose answer does not fit."""
        try:
            clip = self.clip(video)
        except (AssessmentError, OSError) as error:
            log.warning("skipping %s: %s", video, getattr(error, "message", error))
            return None
        messages = messages_from_record(record)
        ids, labels = self.training_ids(messages, clip)
        if len(ids) > self.max_length:
            media = sum(i in (IMAGE_ID, MOTION_ID) for i in ids)
            ids, labels = ids[: self.max_length], labels[: self.max_length]
            if sum(i in (IMAGE_ID, MOTION_ID) for i in ids) != media or all(t == IGNORE for t in labels):
                log.warning("skipping a %s question about %s: longer than max_length %d", record.get("type", "?"), video, self.max_length)
                return None
        return Example(ids, labels, pixel_values(clip, self.config), motion_values(clip, self.config), score_target(messages))


def score_target(messages: list[dict]) -> float | None:
    """A scoring question's answer as 0-1 (FineVQ's MSE target), read with finevq's own question parser."""
    questions = [m["content"] for m in messages if m["role"] == "user"]
    answers = [m["content"] for m in messages if m["role"] == "assistant"]
    if not questions or not answers:
        return None
    intent = parse_question(questions[-1])
    number = NUMBER.search(answers[-1])
    if not isinstance(intent, Score) or number is None:
        return None
    value = float(number.group())
    return min(1.0, max(0.0, value / 100.0 if intent.scale == 100 else (value - 1.0) / 4.0))


def video_of(record: dict) -> str:
    video = record.get("video") or (record.get("videos") or [None])[0]
    if not video:
        raise ValueError(f"record {record.get('id', '?')} names no video")
    return video


def resolve_video(video: str, source: Path, video_root: str | None) -> str:
    path = Path(video)
    if path.is_absolute():
        return video
    for base in ([Path(video_root)] if video_root else []) + [source.parent]:
        if (base / path).exists():
            return str(base / path)
    return video


class InstructionStream(IterableDataset):
    """Examples from JSONL files: shuffled through a buffer, sharded over processes and workers, optionally endless.

    `skip` drops the first records (after shuffling, before any decoding), which is how a
    resumed run continues where it stopped without decoding what it already saw.
    """

    def __init__(self, files: list[str], encoder: ExampleEncoder, settings: DataSettings, *, seed: int = 0,
                 cycle: bool = True, skip: int = 0, rank: int = 0, world: int = 1):
        super().__init__()
        self.files = [Path(f) for f in files]
        self.encoder = encoder
        self.settings = settings
        self.seed, self.cycle, self.skip, self.rank, self.world = seed, cycle, skip, rank, world

    def records(self, epoch: int) -> Iterator[tuple[dict, str]]:
        rng = random.Random(f"{self.seed}:{epoch}")
        buffer: list[tuple[dict, str]] = []
        for item in self._read():
            buffer.append(item)
            if len(buffer) >= self.settings.shuffle_buffer:
                yield buffer.pop(rng.randrange(len(buffer)))
        rng.shuffle(buffer)
        yield from buffer

    def _read(self) -> Iterator[tuple[dict, str]]:
        kinds = set(self.settings.kinds) if self.settings.kinds is not None else None
        for source in self.files:
            with open(source, encoding="utf-8") as handle:
                for line in handle:
                    if not line.strip():
                        continue
                    record = json.loads(line)
                    if kinds is None or record.get("type") in kinds:
                        yield record, resolve_video(video_of(record), source, self.settings.video_root)

    def __iter__(self) -> Iterator[Example]:
        worker = get_worker_info()
        workers, worker_id = (worker.num_workers, worker.id) if worker else (1, 0)
        shards, shard = self.world * workers, self.rank * workers + worker_id
        index = 0
        for epoch in count() if self.cycle else range(1):
            whole_epoch, produced = index >= self.skip, False
            for record, video in self.records(epoch):
                index += 1
                if index <= self.skip or (index - 1) % shards != shard:
                    continue
                example = self.encoder.example(record, video)
                if example is not None:
                    produced = True
                    yield example
            if whole_epoch and not produced:  # cycling would spin forever
                raise ValueError(f"no usable example for shard {shard} of {shards} in {', '.join(map(str, self.files))}")


def count_records(files: list[str], kinds: list[str] | None = None) -> int:
    """Records in the files (after the kinds filter), to size an epoch without decoding anything."""
    total = 0
    for source in files:
        with open(source, encoding="utf-8") as handle:
            for line in handle:
                if line.strip() and (kinds is None or json.loads(line).get("type") in kinds):
                    total += 1
    return total


class Collator:
    """Right-pads a batch; media stay per-video lists, since videos differ in frames and length."""

    def __init__(self, pad_id: int):
        self.pad_id = pad_id

    def __call__(self, examples: list[Example]) -> dict:
        length = max(len(e.input_ids) for e in examples)
        ids = torch.full((len(examples), length), self.pad_id, dtype=torch.long)
        labels = torch.full((len(examples), length), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(examples), length), dtype=torch.long)
        targets = torch.full((len(examples),), math.nan)
        index = torch.zeros(len(examples), dtype=torch.long)
        for row, e in enumerate(examples):
            n = len(e.input_ids)
            ids[row, :n], labels[row, :n], mask[row, :n] = torch.tensor(e.input_ids), torch.tensor(e.labels), 1
            if e.target is not None:
                targets[row] = e.target
                # the hidden state that predicts the first answer token reads the whole question
                index[row] = next(i for i, t in enumerate(e.labels) if t != IGNORE) - 1
        return {"input_ids": ids, "attention_mask": mask, "labels": labels,
                "pixel_values": [e.pixel_values for e in examples], "motion": [e.motion for e in examples],
                "regression_targets": targets, "regression_index": index}
