"""FineVQ's model: vision tower + motion encoder -> projectors -> LLM (with LoRA where trained).

The towers and the LLM are loaded from the local checkpoints the config names and never
copied; what a model directory stores is what finevq made or trained: the projectors, the
temporal positions, the regression head, the motion encoder when it is not a converted
checkpoint, LoRA adapters, and fully fine-tuned towers only if a stage trained them.

The LLM runs through its decoder and output embedding separately, so training computes
logits only where an answer token is predicted and scoring only at the answer position: a
150k-word vocabulary over thousands of visual tokens would otherwise dominate memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .config import LMMConfig, resolve
from .motion_encoder import MotionEncoder
from .projector import Projector
from .tokens import FALLBACK_TEMPLATE, IGNORE, IMAGE_ID, MOTION_ID
from .vision import VisionTower, load_tower

TRAINED_FILE = "trained.safetensors"
ADAPTER_DIRS = {"llm": "llm_adapter", "vision": "vision_adapter"}
GROUPS = ("projectors", "lora", "vision", "motion", "llm")
#: Frames per vision-tower call, so a long per-second video does not meet the tower all at once.
VISION_CHUNK = 16


@dataclass
class Media:
    """One video's projected tokens, computed once and reused by every prompt about it."""

    image: torch.Tensor  # (frames * tokens_per_frame, hidden)
    motion: torch.Tensor  # (motion tokens, hidden); empty without a motion path


@dataclass
class Output:
    loss: torch.Tensor
    lm_loss: torch.Tensor
    regression_loss: torch.Tensor | None


def _grad_needed(module: nn.Module) -> bool:
    return torch.is_grad_enabled() and any(p.requires_grad for p in module.parameters())


class FineVQModel(nn.Module):
    def __init__(self, config: LMMConfig, vision: VisionTower, llm: nn.Module, motion: MotionEncoder | None):
        super().__init__()
        self.config = config
        self.vision = vision
        self.llm = llm
        self.motion = motion
        hidden = llm.get_input_embeddings().embedding_dim
        self.vision_projector = Projector(config.vision_dim, hidden)
        self.motion_projector = Projector(config.motion.feature_dim, hidden) if motion is not None else None
        self.regression_head = Projector(hidden, 1, hidden=hidden) if config.score_head == "regression" else None

    # --- the pieces of the LLM, with or without a peft wrapper ----------------------------

    @property
    def causal_lm(self) -> nn.Module:
        return self.llm.get_base_model() if hasattr(self.llm, "get_base_model") else self.llm

    def output_embeddings(self, hidden: torch.Tensor) -> torch.Tensor:
        head = self.causal_lm.get_output_embeddings()
        return head(hidden.to(head.weight.dtype))

    # --- which parameters train ---------------------------------------------------------

    def groups(self) -> dict[str, list[tuple[str, nn.Parameter]]]:
        found: dict[str, list] = {g: [] for g in GROUPS}
        for name, param in self.named_parameters():
            if "lora_" in name:
                found["lora"].append((name, param))
            elif name.startswith(("vision_projector.", "motion_projector.", "regression_head.", "motion.temporal_position.")):
                found["projectors"].append((name, param))
            elif name.startswith("motion."):
                found["motion"].append((name, param))
            else:
                found[name.split(".")[0]].append((name, param))
        return found

    def set_trainable(self, groups: set[str]) -> list[nn.Parameter]:
        """Freeze everything but `groups` (LoRA adapters are added first if asked for); returns the trainable parameters."""
        unknown = set(groups) - set(GROUPS)
        if unknown:
            raise ValueError(f"unknown parameter group(s) {sorted(unknown)}; known: {', '.join(GROUPS)}")
        if "lora" in groups:
            self.add_lora()
        for tower in ("llm", "vision"):
            if tower in groups and tower in self.config.adapters:
                raise ValueError(f"the {tower} carries a LoRA adapter; merge it (`finevq lmm merge`) before training the {tower} fully")
        trainable = []
        for group, params in self.groups().items():
            for _, param in params:
                param.requires_grad_(group in groups)
                if group in groups:
                    trainable.append(param)
            if group in groups and params and group not in self.config.trained:
                self.config.trained.append(group)
        return trainable

    def add_lora(self) -> None:
        """peft adapters on the LLM and (unless disabled) the vision tower, once."""
        from peft import LoraConfig, get_peft_model

        s = self.config.lora
        if "llm" not in self.config.adapters:
            self.llm = get_peft_model(self.llm, LoraConfig(r=s.rank, lora_alpha=s.alpha, lora_dropout=s.dropout,
                                                           target_modules=s.llm_targets, task_type="CAUSAL_LM"))
            self.config.adapters.append("llm")
        if s.vision_targets is not None and "vision" not in self.config.adapters:
            # a tower's pooling head (SigLIP's) is unused here, so it gets no adapter
            self.vision.model = get_peft_model(self.vision.model, LoraConfig(
                r=s.rank, lora_alpha=s.alpha, lora_dropout=s.dropout, target_modules=s.vision_targets, exclude_modules=r".*head.*"))
            self.config.adapters.append("vision")

    def train(self, mode: bool = True) -> "FineVQModel":
        """A frozen motion backbone stays in eval mode: its BatchNorm statistics are part of what was loaded."""
        super().train(mode)
        if self.motion is not None and not any(p.requires_grad for p in self.motion.backbone.parameters()):
            self.motion.backbone.eval()
        return self

    # --- media -> tokens -> LLM -------------------------------------------------------------

    def encode_media(self, pixel_values: list[torch.Tensor], motion: list[torch.Tensor | None]) -> list[Media]:
        """Per video: frames (F, 3, S, S) and motion clip (3, T, m, m) -> projected tokens."""
        device = self.vision_projector[0].weight.device
        frames = torch.cat(pixel_values).to(device)
        with torch.set_grad_enabled(_grad_needed(self.vision.model)):
            features = torch.cat([self.vision(chunk) for chunk in frames.split(VISION_CHUNK)])
        tokens = self.vision_projector(features.to(self.vision_projector[0].weight.dtype))
        per_video = tokens.split([len(p) for p in pixel_values])
        hidden = tokens.shape[-1]
        media = []
        for image, clip in zip(per_video, motion):
            moving = tokens.new_zeros(0, hidden)
            if self.motion is not None and clip is not None:
                features = self.motion(clip.unsqueeze(0).to(device, self.motion_projector[0].weight.dtype))
                moving = self.motion_projector(features)[0]
            media.append(Media(image.reshape(-1, hidden), moving))
        return media

    def embed(self, input_ids: torch.Tensor, media: list[Media]) -> torch.Tensor:
        """Text embeddings with each media sentinel replaced by the next projected token of its row's video."""
        table = self.causal_lm.get_input_embeddings()
        embeds = table(input_ids.clamp(min=0))
        for sentinel, name in ((IMAGE_ID, "image"), (MOTION_ID, "motion")):
            mask = input_ids == sentinel
            source = torch.cat([getattr(m, name) for m in media]).to(embeds.dtype)
            if int(mask.sum()) != len(source):
                raise ValueError(f"{int(mask.sum())} {name} positions in the prompts but {len(source)} {name} tokens from the videos")
            embeds = embeds.masked_scatter(mask.unsqueeze(-1), source)
        return embeds

    def hidden_states(self, embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The decoder's last hidden states; positions count real tokens, so left padding shifts nothing."""
        positions = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        decoder = self.causal_lm.get_decoder()
        return decoder(inputs_embeds=embeds, attention_mask=attention_mask, position_ids=positions, use_cache=False).last_hidden_state

    def forward(self, input_ids, attention_mask, labels, pixel_values, motion, regression_targets=None,
                regression_index=None, regression_weight: float = 1.0) -> Output:
        """Cross-entropy on answer tokens, plus MSE of the regression head where a row has a score target."""
        hidden = self.hidden_states(self.embed(input_ids, self.encode_media(pixel_values, motion)), attention_mask)
        targets = labels[:, 1:]
        answer = targets != IGNORE
        if answer.any():
            logits = self.output_embeddings(hidden[:, :-1][answer]).float()
            lm_loss = F.cross_entropy(logits, targets[answer])
        else:  # every answer was truncated away: no signal, but keep the graph
            lm_loss = hidden.sum() * 0.0
        regression_loss = None
        if self.regression_head is not None and regression_targets is not None:
            rows = torch.isfinite(regression_targets).nonzero().flatten()
            if len(rows):
                predicted = self.regress(hidden[rows, regression_index[rows]])
                regression_loss = F.mse_loss(predicted, regression_targets[rows].to(predicted.dtype))
        loss = lm_loss if regression_loss is None else lm_loss + regression_weight * regression_loss
        return Output(loss, lm_loss, regression_loss)

    def regress(self, hidden: torch.Tensor) -> torch.Tensor:
        """Hidden state at the end of a score question -> score in [0, 1]."""
        head = self.regression_head
        return torch.sigmoid(head(hidden.to(head[0].weight.dtype))).squeeze(-1)

    @torch.no_grad()
    def last_hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, media: list[Media]) -> torch.Tensor:
        """(B, H) at the last position of left-padded prompts: where the answer word is predicted."""
        return self.hidden_states(self.embed(input_ids, media), attention_mask)[:, -1]

    @torch.no_grad()
    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, media: list[Media], **options) -> torch.Tensor:
        embeds = self.embed(input_ids, media)
        return self.causal_lm.generate(inputs_embeds=embeds, attention_mask=attention_mask, **options)

    # --- what a directory stores --------------------------------------------------------------

    def _stored_prefixes(self) -> tuple[str, ...]:
        prefixes = ["vision_projector.", "motion_projector.", "regression_head.", "motion.temporal_position."]
        if self.motion is not None and ("motion" in self.config.trained or not self.config.motion.checkpoint):
            prefixes.append("motion.backbone.")  # random or trained weights exist nowhere else
        return tuple(prefixes)

    def save(self, directory: str | Path, tokenizer) -> Path:
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        config = self.config.model_copy(deep=True)
        for tower, module in (("llm", self.causal_lm), ("vision", self.vision.model)):
            if tower in self.config.trained:
                module.save_pretrained(directory / tower)
                setattr(config, f"{tower}_path", tower)
                if tower == "llm":
                    tokenizer.save_pretrained(directory / tower)
        for tower, module in (("llm", self.llm), ("vision", self.vision.model)):
            if tower in self.config.adapters:
                module.save_pretrained(directory / ADAPTER_DIRS[tower])
        own = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items() if k.startswith(self._stored_prefixes())}
        save_file(own, str(directory / TRAINED_FILE))
        config.save(directory)
        return directory


def default_dtype(device: torch.device) -> torch.dtype:
    """bf16 where the GPU has it (as the papers train), else fp32."""
    return torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float32


def load(directory: str | Path, device: str | torch.device | None = None, dtype: torch.dtype | str | None = None,
         trainable: bool = False) -> tuple[FineVQModel, object]:
    """(model, tokenizer) from a directory made by `init`, `train` or `merge`.

    Towers and LLM load in `dtype` (bf16 on a GPU by default, "auto" for the checkpoints'
    own); finevq's own modules stay in fp32, since they are small and are what training changes.
    """
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory = Path(directory)
    config = LMMConfig.load(directory)
    config.vision_path, config.llm_path = resolve(directory, config.vision_path), resolve(directory, config.llm_path)
    if config.motion.checkpoint:
        config.motion.checkpoint = resolve(directory, config.motion.checkpoint)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = dtype or default_dtype(device)
    with quiet():
        tower = VisionTower(load_tower(config.vision_path, config.trust_remote_code, dtype),
                            config.vision_feature_layer, config.vision_pool, config.drop_cls)
        llm = AutoModelForCausalLM.from_pretrained(config.llm_path, dtype=dtype, trust_remote_code=config.trust_remote_code)
        tokenizer = AutoTokenizer.from_pretrained(config.llm_path, trust_remote_code=config.trust_remote_code)
        if "llm" in config.adapters:
            llm = PeftModel.from_pretrained(llm, directory / ADAPTER_DIRS["llm"], is_trainable=trainable)
        if "vision" in config.adapters:
            tower.model = PeftModel.from_pretrained(tower.model, directory / ADAPTER_DIRS["vision"], is_trainable=trainable)
    prepare_tokenizer(tokenizer)
    motion = None
    if config.motion.enabled:
        motion = MotionEncoder(config.motion)
        if config.motion.checkpoint:
            motion.backbone.load_state_dict(load_file(config.motion.checkpoint))
    model = FineVQModel(config, tower, llm, motion)
    stored = load_file(directory / TRAINED_FILE)
    missing = [k for k in model.state_dict() if k.startswith(model._stored_prefixes()) and k not in stored]
    unexpected = model.load_state_dict(stored, strict=False).unexpected_keys
    if missing or unexpected:
        raise ValueError(f"{directory / TRAINED_FILE} does not fit the config: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model.to(device).train(False), tokenizer


def prepare_tokenizer(tokenizer) -> None:
    """A chat template and a pad token, which base checkpoints may lack."""
    if not tokenizer.chat_template:
        tokenizer.chat_template = FALLBACK_TEMPLATE
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token


class quiet:
    """Silence transformers' load reports and progress bars (a CLI's stderr is for the user's errors)."""

    def __enter__(self):
        from transformers.utils import logging

        self._level = logging.get_verbosity()
        self._bars = logging.is_progress_bar_enabled()
        logging.set_verbosity_error()
        logging.disable_progress_bar()

    def __exit__(self, *exc):
        from transformers.utils import logging

        logging.set_verbosity(self._level)
        if self._bars:
            logging.enable_progress_bar()
