"""Tiny random checkpoints in the shapes of real ones: a byte-level BPE tokenizer with a chat
template, a Llama or Qwen2 LLM and a SigLIP vision tower, saved as Hugging Face directories.

No weights can be downloaded where finevq is tested, yet the LMM path must be exercised end
to end: `init`, training, saving, scoring. These checkpoints load through exactly the code
that loads InternVL2 or LLaVA-OneVision components, only small and random. The vocabulary
is trained on the text finevq's instruction data contains, so its sequences stay short.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from ..instruct import templates as T
from ..instruct.facts import VideoFacts
from ..instruct.generate import generate, vqa2_system_prompt
from ..schema import Event, StallSummary
from ..taxonomy import DIMENSIONS, DISTORTION_TYPES, QUALITY_LEVELS, SEVERITY_LEVELS, level_of

SPECIAL = ["[PAD]", "[UNK]", "<s>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|> {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def _facts(rng: random.Random, index: int) -> VideoFacts:
    scores = {d: rng.uniform(0, 100) for d in DIMENSIONS}
    types = tuple(rng.sample([t.name for t in DISTORTION_TYPES], rng.randint(0, 3)))
    events = tuple(Event(kind=k, start=float(s), end=float(s) + 0.5) for k, s in zip(("stall", "shake", "flicker", "drop"), range(4))
                   if rng.random() < 0.5)
    return VideoFacts(video=f"v{index}.mp4", scores=scores, levels={d: level_of(d, s) for d, s in scores.items()},
                      distortions=types, severities={t: rng.randint(1, 5) for t in types}, events=events,
                      stalls=StallSummary(count=1, total_seconds=0.5, longest_seconds=0.5, share=0.1),
                      duration=rng.choice([1.0, 4.0, None]), frame_count=rng.choice([24, 96, None]))


def corpus(videos: int = 60) -> Iterator[str]:
    """Text covering finevq's instruction data: generated samples, every template, numbers."""
    rng = random.Random(0)
    facts = [_facts(rng, i) for i in range(videos)]
    for sample in generate(facts, seed=0) + generate(facts, seed=1, score_scale=5):
        yield f"{sample.system or ''} {sample.question} {sample.answer}"
    yield vqa2_system_prompt(facts[0])
    for name in dir(T):
        value = getattr(T, name)
        if isinstance(value, tuple):
            for item in value:
                text = getattr(item, "text", item)
                if isinstance(text, str):
                    yield re.sub(r"[{}]", " ", text)
    yield " ".join(list(SEVERITY_LEVELS) + list(QUALITY_LEVELS) + [t.name for t in DISTORTION_TYPES])
    yield " ".join(f"{i} {i:02d}" for i in range(101))
    from .stage0 import corpus as stage0_corpus

    yield from stage0_corpus()


def make_tokenizer():
    """A byte-level BPE (as Llama 3 and Qwen2 use) over `corpus()`, with a chat template; frequent
    words, the level words among them, end up as single tokens, rarer ones as sub-tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(corpus(), trainers.BpeTrainer(vocab_size=2000, special_tokens=SPECIAL,
                                                           initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=bpe, unk_token="[UNK]", pad_token="[PAD]", bos_token="<s>",
                                   eos_token="<|end|>", chat_template=CHAT_TEMPLATE)


def make_tiny_llm(directory: str | Path, tokenizer, kind: str = "llama", hidden: int = 32, layers: int = 2) -> Path:
    """A random Llama or Qwen2 causal LM sized to `tokenizer`, saved with it."""
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    shape = dict(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                 pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                 # 0.02 suits layers thousands wide; at this width it would leave every layer a near-identity
                 initializer_range=hidden ** -0.5)
    language = LlamaForCausalLM(LlamaConfig(**shape)) if kind == "llama" else Qwen2ForCausalLM(Qwen2Config(**shape))
    # Pretrained-like scales for the two vocabulary tables. The default std 0.02 caps every logit near
    # 1, so no adapter could make the model sure of a word; and it makes word embeddings so small next
    # to projected visual tokens that the visual tokens drown which word a position holds, and training
    # then learns to make them constant instead of reading them. Rows of norm ~2.4 avoid both.
    for table in (language.get_input_embeddings(), language.get_output_embeddings()):
        table.weight.data.normal_(0.0, 0.3)
    language.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return Path(directory)


def make_tiny_vision(directory: str | Path, image_size: int = 32, patch: int = 8, width: int = 32,
                     processor_file: bool = True) -> Path:
    """A random SigLIP vision tower; `processor_file` writes a preprocessor_config.json as real towers have."""
    from transformers import SiglipVisionConfig, SiglipVisionModel

    tower = SiglipVisionModel(SiglipVisionConfig(hidden_size=width, intermediate_size=2 * width, num_hidden_layers=2,
                                                 num_attention_heads=4, image_size=image_size, patch_size=patch))
    tower.save_pretrained(directory)
    if processor_file:
        (Path(directory) / "preprocessor_config.json").write_text(json.dumps({
            "image_processor_type": "SiglipImageProcessor", "do_resize": True, "size": {"height": image_size, "width": image_size},
            "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}))
    return Path(directory)


def make_tiny_checkpoints(directory: str | Path, llm: str = "llama", seed: int = 0, **sizes) -> tuple[Path, Path]:
    """(vision dir, llm dir) under `directory`; `sizes` go to make_tiny_llm (hidden, layers) and make_tiny_vision."""
    import torch

    directory = Path(directory)
    torch.manual_seed(seed)
    tokenizer = make_tokenizer()
    llm_sizes = {k: sizes.pop(k) for k in ("hidden", "layers") if k in sizes}
    return make_tiny_vision(directory / "vision", **sizes), make_tiny_llm(directory / "llm", tokenizer, llm, **llm_sizes)


#: A SlowFast small enough to train on a CPU; same structure as R50.
TINY_MOTION = {"width": 8, "beta_inv": 4, "depths": (1, 1, 1, 1), "size": 32, "max_frames": 64}
