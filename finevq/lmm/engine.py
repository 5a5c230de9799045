"""A loaded LMM answering about videos: decode once, encode the media once, then score or generate.

Scoring the six dimensions is one batched forward pass: six left-padded prompts share the
video's projected tokens, and the level words' logits are read at each prompt's last
position. Generation uses the same prompts with the LLM's own `generate`.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch

from ..taxonomy import DIMENSIONS, Dimension, levels_for
from .data import ExampleEncoder
from .media import Clip, motion_values, pixel_values, read_clip
from .model import FineVQModel, Media, load
from .scoring import level_score, rating_prompt, score_question, system_prompt
from .tokens import level_token_ids


@dataclass(frozen=True)
class DimensionScore:
    score: float
    #: The five level words' probabilities, best first; None from the regression head.
    probabilities: tuple[float, ...] | None


class LMM:
    def __init__(self, model: FineVQModel, tokenizer):
        self.model = model.train(False)
        self.tokenizer = tokenizer
        self.config = model.config
        self.encoder = ExampleEncoder(tokenizer, self.config, clip_cache=0)
        self._level_ids: dict[Dimension, list[int]] = {}

    @classmethod
    def load(cls, directory: str | Path, device: str | None = None) -> "LMM":
        return cls(*load(directory, device))

    @property
    def device(self) -> torch.device:
        return self.model.vision_projector[0].weight.device

    def _autocast(self):
        """bf16 compute on a GPU whose towers were loaded in bf16; finevq's fp32 modules follow."""
        bf16 = self.device.type == "cuda" and self.model.vision.dtype == torch.bfloat16
        return torch.autocast("cuda", dtype=torch.bfloat16) if bf16 else nullcontext()

    def read(self, path: str) -> Clip:
        return read_clip(path, self.config)

    @torch.no_grad()
    def media(self, clip: Clip) -> Media:
        with self._autocast():
            return self.model.encode_media([pixel_values(clip, self.config)], [motion_values(clip, self.config)])[0]

    def messages(self, clip: Clip, question: str) -> list[dict]:
        system = system_prompt(self.config, clip)
        return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": question}]

    def batch(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Left padding, so every row's last position is where its answer starts."""
        length = max(map(len, rows))
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([[pad] * (length - len(r)) + r for r in rows], device=self.device)
        mask = torch.tensor([[0] * (length - len(r)) + [1] * len(r) for r in rows], device=self.device)
        return ids, mask

    def level_ids(self, dimension: Dimension) -> list[int]:
        if dimension not in self._level_ids:
            self._level_ids[dimension] = level_token_ids(self.tokenizer, rating_prompt(dimension)[1], levels_for(dimension))
        return self._level_ids[dimension]

    @torch.no_grad()
    def score(self, clip: Clip, media: Media, dimensions: tuple[Dimension, ...] = DIMENSIONS) -> dict[Dimension, DimensionScore]:
        """All dimensions in one forward pass over the shared media tokens."""
        regression = self.config.score_head == "regression"
        rows = []
        for dim in dimensions:
            question, opening = (score_question(dim), "") if regression else rating_prompt(dim)
            rows.append(self.encoder.prompt_ids(self.messages(clip, question), clip, opening))
        ids, mask = self.batch(rows)
        with self._autocast():
            hidden = self.model.last_hidden(ids, mask, [media] * len(rows))
            if regression:
                scores = 100.0 * self.model.regress(hidden).float()
                return {d: DimensionScore(float(s), None) for d, s in zip(dimensions, scores)}
            logits = self.model.output_embeddings(hidden)
        index = torch.tensor([self.level_ids(d) for d in dimensions], device=logits.device)
        scores, probabilities = level_score(logits.gather(1, index))
        return {d: DimensionScore(float(s), tuple(float(p) for p in ps)) for d, s, ps in zip(dimensions, scores, probabilities)}

    @torch.no_grad()
    def ask(self, clip: Clip, media: Media, question: str, max_new_tokens: int | None = None) -> str:
        ids, mask = self.batch([self.encoder.prompt_ids(self.messages(clip, question), clip)])
        with self._autocast():
            out = self.model.generate(ids, mask, [media], max_new_tokens=max_new_tokens or self.config.max_new_tokens,
                                      do_sample=False, pad_token_id=self.tokenizer.pad_token_id)
        return self.tokenizer.decode(out[0], skip_special_tokens=True).strip()
