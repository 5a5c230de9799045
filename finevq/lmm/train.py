"""`finevq lmm train config.yaml`: staged instruction tuning, FineVQ's recipe by default.

Stage 1 trains the projectors with every tower frozen (aligning features to the LLM),
stage 2 adds LoRA on the LLM and the vision tower; an optional stage 0 first teaches
distortion recognition on synthetic clips (VQA²), and a stage may train whole towers. Each
stage has its own AdamW and warmup+cosine schedule, sized from the record count, so stages
are independent and a resumed run rebuilds exactly the optimizer it saved.

Checkpoints (``output/checkpoint-STEP``) are model directories plus the trainer's state, so
any of them can be assessed with or resumed from; ``output/final`` is the finished model.
accelerate handles devices, bf16 and multi-GPU data parallelism; every process reads its
own shard of the stream and runs the same number of steps, so none waits on another.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import torch
import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from .data import Collator, DataSettings, ExampleEncoder, InstructionStream, count_records
from .model import default_dtype, load
from .stage0 import SyntheticSettings, make_recognition_data

STATE_FILE = "trainer_state.json"
Group = Literal["projectors", "lora", "vision", "motion", "llm"]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptimSettings(_Settings):
    lr: float = 2e-4
    #: Where the cosine ends (FineVQ: 2e-4 down to 1e-6).
    min_lr: float = 1e-6
    weight_decay: float = 0.0
    warmup_ratio: float = 0.03
    batch_size: int = 4
    grad_accum: int = 1
    max_grad_norm: float = 1.0


class StageSettings(_Settings):
    name: str
    train: list[Group]
    epochs: float = 1.0
    #: Optimizer steps; overrides epochs.
    max_steps: int | None = None
    lr: float | None = None
    #: This stage's data instead of the run's.
    data: DataSettings | None = None
    #: Stage 0: generate distortion-recognition data from finevq.synth and train on it.
    synthetic: SyntheticSettings | None = None


def _default_stages() -> list[StageSettings]:
    return [StageSettings(name="stage1", train=["projectors"], lr=1e-3),
            StageSettings(name="stage2", train=["projectors", "lora"], epochs=3.0)]


class TrainSettings(_Settings):
    model: str
    output: str
    data: DataSettings | None = None
    stages: list[StageSettings] = _default_stages()
    optim: OptimSettings = OptimSettings()
    mixed_precision: Literal["auto", "bf16", "fp16", "no"] = "auto"
    gradient_checkpointing: bool = True
    regression_weight: float = 1.0
    #: Save a checkpoint every this many optimizer steps (and always at the end of a stage).
    save_every: int | None = 500
    log_every: int = 10
    seed: int = 0

    @model_validator(mode="after")
    def _data_for_every_stage(self) -> "TrainSettings":
        for stage in self.stages:
            if self.data is None and stage.data is None and stage.synthetic is None:
                raise ValueError(f"stage {stage.name!r} has no data: give top-level data, or data/synthetic in the stage")
        return self

    @classmethod
    def from_yaml(cls, path: str | Path) -> "TrainSettings":
        return cls.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def warmup_cosine(total: int, warmup: int, floor: float) -> Callable[[int], float]:
    """LR multiplier: linear warmup, then cosine from 1 down to `floor`."""
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


def latest_checkpoint(output: str | Path) -> Path:
    found = sorted(Path(output).glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    if not found:
        raise FileNotFoundError(f"no checkpoint-* under {output} to resume from")
    return found[-1]


class Trainer:
    def __init__(self, settings: TrainSettings, resume: str | Path | None = None, log: Callable[[dict], None] | None = None):
        from accelerate import Accelerator
        from accelerate.utils import DistributedDataParallelKwargs

        self.settings = settings
        self.output = Path(settings.output)
        self.log = log or (lambda record: None)
        precision = settings.mixed_precision
        if precision == "auto":
            precision = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"
        self.accelerator = Accelerator(
            mixed_precision=precision, gradient_accumulation_steps=settings.optim.grad_accum,
            # frozen branches (an unused pooling head, a motion path a batch lacks) take no gradient
            kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=True)])
        self.checkpoint = None
        if resume is not None:
            self.checkpoint = latest_checkpoint(self.output) if str(resume) == "latest" else Path(resume)
        self.state = json.loads((self.checkpoint / STATE_FILE).read_text()) if self.checkpoint else \
            {"stage": 0, "step": 0, "examples": 0, "global_step": 0}
        # a tower trained in full keeps fp32 master weights; frozen towers can sit in bf16
        full = any(g in ("llm", "vision") for s in settings.stages for g in s.train)
        dtype = torch.float32 if full else default_dtype(self.accelerator.device)
        self.model, self.tokenizer = load(self.checkpoint or settings.model, self.accelerator.device, dtype, trainable=True)

    def run(self) -> Path:
        for index, stage in enumerate(self.settings.stages):
            if index >= self.state["stage"]:
                self._stage(index, stage)
        final = self.output / "final"
        if self.accelerator.is_main_process:
            self.model.save(final, self.tokenizer)
        self.accelerator.wait_for_everyone()
        return final

    def _data(self, stage: StageSettings) -> tuple[DataSettings, list[str]]:
        data = stage.data or self.settings.data
        if stage.synthetic is not None:
            folder = self.output / f"{stage.name}-data"
            if self.accelerator.is_main_process:
                make_recognition_data(folder, stage.synthetic)
            self.accelerator.wait_for_everyone()
            files = [str(folder / "stage0.jsonl")]
            data = (data or DataSettings(train=files)).model_copy(update={"train": files, "val": [], "kinds": None})
        return data, data.train

    def _stage(self, index: int, stage: StageSettings) -> None:
        s, acc = self.settings, self.accelerator
        data, files = self._data(stage)
        params = self.model.set_trainable(set(stage.train))
        if not params:
            raise ValueError(f"stage {stage.name!r} trains {stage.train}, which has no parameters in this model")
        if s.gradient_checkpointing:
            self._checkpointing()
        per_step = s.optim.batch_size * s.optim.grad_accum * acc.num_processes
        steps = stage.max_steps or max(1, math.ceil(stage.epochs * count_records(files, data.kinds) / per_step))
        lr = stage.lr or s.optim.lr
        decay = [p for p in params if p.ndim >= 2]
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": s.optim.weight_decay},
                                       {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}], lr=lr)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, warmup_cosine(steps, math.ceil(s.optim.warmup_ratio * steps), min(1.0, s.optim.min_lr / lr)))
        resuming = self.checkpoint is not None and self.state["stage"] == index and self.state["step"] > 0
        if resuming:
            optimizer.load_state_dict(torch.load(self.checkpoint / "optimizer.pt", map_location="cpu", weights_only=True))
            scheduler.load_state_dict(torch.load(self.checkpoint / "scheduler.pt", map_location="cpu", weights_only=True))
        else:
            self.state.update(stage=index, step=0, examples=0)
        model, optimizer = acc.prepare(self.model, optimizer)
        encoder = ExampleEncoder(self.tokenizer, self.model.config, data.max_length, data.clip_cache)
        stream = InstructionStream(files, encoder, data, seed=s.seed + index, skip=self.state["examples"] * acc.num_processes,
                                   rank=acc.process_index, world=acc.num_processes)
        loader = torch.utils.data.DataLoader(stream, batch_size=s.optim.batch_size, num_workers=data.num_workers,
                                             collate_fn=Collator(self.tokenizer.pad_token_id))
        model.train()
        started, window = time.perf_counter(), []
        for batch in loader:
            if self.state["step"] >= steps:  # resumed after this stage's last step
                break
            with acc.accumulate(model):
                out = model(**_to(batch, acc.device), regression_weight=s.regression_weight)
                acc.backward(out.loss)
                if acc.sync_gradients:
                    acc.clip_grad_norm_(params, s.optim.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad()
            self.state["examples"] += len(batch["input_ids"])
            window.append((out.loss.item(), out.lm_loss.item(), None if out.regression_loss is None else out.regression_loss.item()))
            if not acc.sync_gradients:
                continue
            scheduler.step()
            self.state["step"] += 1
            self.state["global_step"] += 1
            if self.state["step"] % s.log_every == 0 or self.state["step"] == steps:
                self._log(stage, steps, window, scheduler.get_last_lr()[0], time.perf_counter() - started)
                window = []
            if self.state["step"] >= steps:
                break
            if s.save_every and self.state["step"] % s.save_every == 0:
                self._save(optimizer, scheduler)
        if data.val:
            self.log({"stage": stage.name, "val_loss": self.validate(data)})
        self.state.update(stage=index + 1, step=0, examples=0)
        self._save(optimizer, scheduler)

    def _checkpointing(self) -> None:
        for module in (self.model.causal_lm, self.model.vision.model):
            base = module.get_base_model() if hasattr(module, "get_base_model") else module
            if getattr(base, "supports_gradient_checkpointing", False) and not base.is_activation_checkpointing:
                base.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})

    def _log(self, stage: StageSettings, steps: int, window: list[tuple], lr: float, seconds: float) -> None:
        def mean(column: int) -> float | None:
            values = [row[column] for row in window if row[column] is not None]
            return sum(values) / len(values) if values else None

        record = {"stage": stage.name, "step": self.state["step"], "steps": steps, "global_step": self.state["global_step"],
                  "loss": mean(0), "lm_loss": mean(1), "regression_loss": mean(2), "lr": lr,
                  "examples": self.state["examples"], "seconds": round(seconds, 1)}
        if self.accelerator.is_main_process:
            self.output.mkdir(parents=True, exist_ok=True)
            with open(self.output / "log.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
            self.log(record)

    def _save(self, optimizer, scheduler) -> Path:
        acc = self.accelerator
        target = self.output / f"checkpoint-{self.state['global_step']}"
        if acc.is_main_process:
            acc.unwrap_model(self.model).save(target, self.tokenizer)
            torch.save(optimizer.state_dict(), target / "optimizer.pt")
            torch.save(scheduler.state_dict(), target / "scheduler.pt")
            (target / STATE_FILE).write_text(json.dumps(self.state, indent=2) + "\n")
        acc.wait_for_everyone()
        return target

    @torch.no_grad()
    def validate(self, data: DataSettings) -> float:
        """Mean answer-token loss over the validation files (one pass, this process's shard)."""
        model = self.model.train(False)
        encoder = ExampleEncoder(self.tokenizer, model.config, data.max_length, data.clip_cache)
        stream = InstructionStream(data.val, encoder, data.model_copy(update={"shuffle_buffer": 1}), cycle=False,
                                   rank=self.accelerator.process_index, world=self.accelerator.num_processes)
        losses = []
        for batch in torch.utils.data.DataLoader(stream, batch_size=self.settings.optim.batch_size,
                                                 collate_fn=Collator(self.tokenizer.pad_token_id)):
            with self.accelerator.autocast():
                losses.append(float(model(**_to(batch, self.accelerator.device)).lm_loss))
        model.train(True)
        return sum(losses) / max(1, len(losses))


def _to(batch: dict, device: torch.device) -> dict:
    moved = {}
    for key, value in batch.items():
        if isinstance(value, torch.Tensor):
            moved[key] = value.to(device)
        else:
            moved[key] = [v.to(device) if isinstance(v, torch.Tensor) else v for v in value]
    return moved


def train(config: str | Path | TrainSettings, resume: str | Path | None = None, log: Callable[[dict], None] | None = None) -> Path:
    settings = config if isinstance(config, TrainSettings) else TrainSettings.from_yaml(config)
    return Trainer(settings, resume, log).run()
