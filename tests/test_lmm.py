"""The LMM path on tiny random checkpoints (2-layer Llama / Qwen2, 2-layer SigLIP, a one-block SlowFast).

Everything a real checkpoint goes through runs here: `finevq lmm init`, decoding, placeholder
expansion, level-word scoring, staged training with LoRA, save/resume/merge, the registered
assessor and `ask_model`. Numbers are compared against independent computations (the LLM's
own full forward pass, single-dimension calls, inverse key renames), never against themselves.
"""

from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("transformers")
pytest.importorskip("peft")

import torch  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from finevq.instruct import generate, write_dataset  # noqa: E402
from finevq.instruct.facts import VideoFacts  # noqa: E402
from finevq.lmm import tokens  # noqa: E402
from finevq.lmm.cli import app  # noqa: E402
from finevq.lmm.compose import compose, merge  # noqa: E402
from finevq.lmm.config import LMMConfig, MotionSettings  # noqa: E402
from finevq.lmm.convert import convert_slowfast_state_dict, infer_settings  # noqa: E402
from finevq.lmm.data import Collator, DataSettings, ExampleEncoder, InstructionStream, score_target  # noqa: E402
from finevq.lmm.engine import LMM  # noqa: E402
from finevq.lmm.model import load  # noqa: E402
from finevq.lmm.motion_encoder import MotionEncoder, SlowFast  # noqa: E402
from finevq.lmm.scoring import LEVEL_WEIGHTS, rating_prompt  # noqa: E402
from finevq.lmm.stage0 import SyntheticSettings, make_recognition_data  # noqa: E402
from finevq.lmm.tiny import TINY_MOTION, make_tiny_checkpoints, make_tiny_llm  # noqa: E402
from finevq.lmm.train import TrainSettings, Trainer  # noqa: E402
from finevq.synth.video import make_test_video  # noqa: E402
from finevq.taxonomy import DIMENSIONS, Dimension, level_of, levels_for  # noqa: E402

SMALL = dict(width=64, height=48, seconds=1.0, fps=8)


def _set_args(values: dict) -> list[str]:
    return [arg for key, value in values.items() for arg in ("--set", f"{key}={json.dumps(value)}")]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """On a shared CPU, two spinning torch threads run many times slower than one."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("lmm")
    vision, llm = make_tiny_checkpoints(root / "ckpt")
    videos = {
        "clean": make_test_video(root / "clean.mp4", seed=1, **SMALL),
        "blur": make_test_video(root / "blur.mp4", distortion="gaussian_blur", level=5, seed=2, **SMALL),
        "dark": make_test_video(root / "dark.mp4", distortion="over_dark", level=5, seed=3, **SMALL),
    }
    settings = {"num_frames": 4, "prompt": "plain", "max_new_tokens": 12, **{f"motion.{k}": v for k, v in TINY_MOTION.items()}}
    result = CliRunner().invoke(app, ["init", "--vision", str(vision), "--llm", str(llm), "-o", str(root / "model"),
                                      *_set_args(settings)])
    assert result.exit_code == 0, result.output
    facts = [VideoFacts(video=v.name, scores=(s := {d: score for d in DIMENSIONS}), levels={d: level_of(d, x) for d, x in s.items()},
                        distortions=(), duration=1.0, frame_count=8)
             for v, score in zip(videos.values(), (90.0, 30.0, 50.0))]
    write_dataset(generate(facts, system_prompt=False), root / "data" / "train.jsonl", fractions=(1.0, 0.0, 0.0))
    return {"root": root, "vision": vision, "llm": llm, "model": root / "model", "videos": videos,
            "data": DataSettings(train=[str(root / "data" / "train.jsonl")], video_root=str(root), shuffle_buffer=8,
                                 kinds=["rating", "score", "yes_no"])}


@pytest.fixture(scope="module")
def engine(tiny):
    return LMM.load(tiny["model"], "cpu")


def _batch(model, tokenizer, data: DataSettings, n: int = 2) -> dict:
    stream = InstructionStream(data.train, ExampleEncoder(tokenizer, model.config), data, cycle=False)
    return next(iter(torch.utils.data.DataLoader(stream, batch_size=n, collate_fn=Collator(tokenizer.pad_token_id))))


# --- motion encoder and its checkpoint converter -----------------------------------------

def test_motion_tokens_follow_the_fast_path():
    settings = MotionSettings(**TINY_MOTION)
    encoder = MotionEncoder(settings)
    clip = torch.randn(1, 3, 12, 32, 32)
    assert encoder(clip).shape == (1, 12, settings.feature_dim)  # τ=4, α=4: one token per frame (VQA²)
    both = MotionEncoder(MotionSettings(**TINY_MOTION, tau=8, alpha=4, features="slowfast"))
    assert both(clip).shape == (1, 6, 8 // 4 * 32 + 8 * 32)  # fast path every 2nd frame, slow feature appended
    assert both.token_count(12) == 6


def _pyslowfast_name(key: str) -> str:
    p = key.split(".")
    path = {"slow": 0, "fast": 1}
    if p[0] == "stem":
        return f"s1.pathway{path[p[1]]}_stem.{p[2]}.{p[3]}"
    if p[0] == "fuse":
        return f"s{int(p[1]) + 1}_fuse.{'conv_f2s' if p[2] == 'conv' else 'bn'}.{p[3]}"
    _, stage, pathway, block, part, kind, param = p
    prefix = f"s{int(stage) + 2}.pathway{path[pathway]}_res{block}"
    if part == "shortcut":
        return f"{prefix}.branch1{'' if kind == 'conv' else '_bn'}.{param}"
    return f"{prefix}.branch2.{part}{'' if kind == 'conv' else '_bn'}.{param}"


def _pytorchvideo_name(key: str) -> str:
    p = key.split(".")
    path = {"slow": 0, "fast": 1}
    if p[0] == "stem":
        return f"blocks.0.multipathway_blocks.{path[p[1]]}.{'conv' if p[2] == 'conv' else 'norm'}.{p[3]}"
    if p[0] == "fuse":
        return f"blocks.{p[1]}.multipathway_fusion.{'conv_fast_to_slow' if p[2] == 'conv' else 'norm'}.{p[3]}"
    _, stage, pathway, block, part, kind, param = p
    prefix = f"blocks.{int(stage) + 1}.multipathway_blocks.{path[pathway]}.res_blocks.{block}"
    if part == "shortcut":
        return f"{prefix}.branch1_{'conv' if kind == 'conv' else 'norm'}.{param}"
    return f"{prefix}.branch2.{'conv' if kind == 'conv' else 'norm'}_{part}.{param}"


@pytest.mark.parametrize("rename, head", [(_pyslowfast_name, "head.projection.weight"), (_pytorchvideo_name, "blocks.6.proj.weight")])
def test_converter_reads_pyslowfast_and_pytorchvideo_names(rename, head):
    settings = MotionSettings(**(TINY_MOTION | {"depths": (2, 1, 1, 2), "fusion_kernel": 5}))
    reference = {k: torch.randn(v.shape) if v.is_floating_point() else v for k, v in SlowFast(settings).state_dict().items()}
    foreign = {f"module.{rename(k)}": v for k, v in reference.items()} | {head: torch.randn(10, 4)}
    converted = convert_slowfast_state_dict(foreign)
    assert converted.keys() == reference.keys()
    assert all(torch.equal(converted[k], reference[k]) for k in reference)
    SlowFast(settings).load_state_dict(converted)  # strict
    inferred = infer_settings(converted)
    assert inferred == {"width": 8, "beta_inv": 4, "depths": (2, 1, 1, 2), "fusion_ratio": 2, "fusion_kernel": 5}
    with pytest.raises(ValueError, match="no place"):
        convert_slowfast_state_dict(foreign | {"s2.pathway0_res0.extra.weight": torch.zeros(1)} if rename is _pyslowfast_name
                                    else foreign | {"blocks.1.something.weight": torch.zeros(1)})


def test_convert_cli_writes_safetensors(tmp_path):
    from safetensors.torch import load_file

    settings = MotionSettings(**TINY_MOTION)
    state = {_pyslowfast_name(k): v for k, v in SlowFast(settings).state_dict().items()}
    torch.save({"model_state": state, "epoch": 3}, tmp_path / "sf.pyth")
    result = CliRunner().invoke(app, ["convert-slowfast", str(tmp_path / "sf.pyth"), "-o", str(tmp_path / "sf.safetensors")])
    assert result.exit_code == 0, result.output
    assert load_file(tmp_path / "sf.safetensors").keys() == SlowFast(settings).state_dict().keys()


# --- tokens: placeholders and level words ------------------------------------------------

def test_placeholders_expand_into_media_runs(engine):
    tok = engine.tokenizer
    runs = tokens.media_runs(4, [0.25, 0.75], [0.0, 0.2, 0.5, 0.6, 0.9], "concat")
    assert runs == {tokens.IMAGE: [tokens.IMAGE_ID] * 8, tokens.MOTION: [tokens.MOTION_ID] * 5}
    # interleaved: keyframe 0 takes the motion before the midpoint 0.5, keyframe 1 the rest
    runs = tokens.media_runs(2, [0.25, 0.75], [0.0, 0.2, 0.5, 0.6, 0.9], "interleave")
    i, m = tokens.IMAGE_ID, tokens.MOTION_ID
    assert runs == {tokens.IMAGE: [i, i, m, m, i, i, m, m, m], tokens.MOTION: []}

    messages = tokens.with_placeholders([{"role": "user", "content": "rate the blur"}], motion=True)
    assert messages[0]["content"].startswith("<image>\n<motion>\n")
    assert tokens.with_placeholders([{"role": "user", "content": "<video> rate"}], motion=True)[0]["content"] == "<image>\n<motion> rate"
    pieces = [(tokens.render(tok, [{"role": "user", "content": "the <image> and <motion> . <image>"}], True), False), ("good", True)]
    ids, labels = tokens.encode(tok, pieces, {tokens.IMAGE: [i] * 3, tokens.MOTION: [m] * 2})
    text_ids = [t for t in ids if t >= 0]
    start = ids.index(i)
    assert ids[start: start + 3] == [i] * 3 and ids.count(i) == 3  # the repeated <image> expands once
    assert ids[ids.index(m): ids.index(m) + 2] == [m] * 2 and ids.count(m) == 2
    assert tok.decode(text_ids).startswith("<|user|> the ")
    assert [t for t in labels if t != tokens.IGNORE] == tok("good", add_special_tokens=False)["input_ids"]


def _word_ids(tok, dim: Dimension) -> list[int]:
    return [tok(f" {word}", add_special_tokens=False)["input_ids"][0] for word in levels_for(dim)]


def test_level_ids_are_looked_up_for_both_scales(engine):
    tok = engine.tokenizer
    for dim in (Dimension.BLUR, Dimension.COLOR):  # severity words, quality words
        assert engine.level_ids(dim) == _word_ids(tok, dim)
        assert [tok.decode([i]) for i in engine.level_ids(dim)] == [f" {word}" for word in levels_for(dim)]


def test_level_words_split_into_sub_tokens_use_the_first():
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers, decoders
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer, bpe.decoder = pre_tokenizers.ByteLevel(add_prefix_space=False), decoders.ByteLevel()
    bpe.train_from_iterator(["this video is rated good and the quality is mild"] * 20,
                            trainers.BpeTrainer(vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe)
    word = tok(" undistorted", add_special_tokens=False)["input_ids"]
    assert len(word) > 1
    assert tokens.continuation_token(tok, "this video is rated", "undistorted") == word[0]
    with pytest.raises(ValueError, match="share first sub-tokens"):  # " strong" and " severe" both start with " s"
        tokens.level_token_ids(tok, "this video is rated", ["strong", "severe"])


# --- the model ---------------------------------------------------------------------------

def test_forward_shapes(tiny, engine):
    model, tok, config = engine.model, engine.tokenizer, engine.config
    batch = _batch(model, tok, tiny["data"])
    media = model.encode_media(batch["pixel_values"], batch["motion"])
    hidden = model.llm.get_input_embeddings().embedding_dim
    assert [m.image.shape for m in media] == [(config.num_frames * config.tokens_per_frame, hidden)] * 2
    assert [m.motion.shape for m in media] == [(8, hidden)] * 2  # 8 frames, fast path at full rate
    embeds = model.embed(batch["input_ids"], media)
    assert embeds.shape == (*batch["input_ids"].shape, hidden)
    # placeholder positions hold the projected tokens, text positions the LLM's embeddings
    row = batch["input_ids"][0]
    assert torch.equal(embeds[0][row == tokens.IMAGE_ID], media[0].image)
    assert torch.equal(embeds[0][row == tokens.MOTION_ID], media[0].motion)
    out = model(**batch)
    assert out.loss.ndim == 0 and math.isfinite(out.loss.item()) and out.regression_loss is None


def test_level_scores_equal_a_hand_computation(tiny, engine):
    clip = engine.read(str(tiny["videos"]["blur"]))
    media = engine.media(clip)
    scores = engine.score(clip, media)
    for dim in (Dimension.BLUR, Dimension.OVERALL):
        question, opening = rating_prompt(dim)
        ids = engine.encoder.prompt_ids(engine.messages(clip, question), clip, opening)
        input_ids = torch.tensor([ids])
        with torch.no_grad():  # the LLM's own full forward pass, not finevq's decoder + head path
            logits = engine.model.causal_lm(inputs_embeds=engine.model.embed(input_ids, [media])).logits[0, -1]
        chosen = logits[_word_ids(engine.tokenizer, dim)]
        expected = 100 * sum(w * math.exp(x) for w, x in zip(LEVEL_WEIGHTS, chosen.tolist())) / sum(math.exp(x) for x in chosen.tolist())
        assert 0.0 <= scores[dim].score <= 100.0
        assert scores[dim].score == pytest.approx(expected, abs=1e-3)
        assert sum(scores[dim].probabilities) == pytest.approx(1.0, abs=1e-5)


def test_six_dimensions_in_one_batch_equal_six_single_calls(tiny, engine):
    clip = engine.read(str(tiny["videos"]["dark"]))
    media = engine.media(clip)
    together = engine.score(clip, media)
    for dim in DIMENSIONS:
        alone = engine.score(clip, media, (dim,))[dim]
        assert together[dim].score == pytest.approx(alone.score, abs=1e-3)
        assert together[dim].probabilities == pytest.approx(alone.probabilities, abs=1e-5)


def _grads(model) -> set[str]:
    return {name for name, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}


def test_stages_train_only_their_parameters(tiny):
    for groups in ({"projectors"}, {"projectors", "lora"}):
        model, tok = load(tiny["model"], "cpu")
        model.set_trainable(groups)
        model.train()
        model(**_batch(model, tok, tiny["data"])).loss.backward()
        found = model.groups()
        allowed = {name for g in groups for name, _ in found[g]}
        touched = _grads(model)
        assert touched and touched <= allowed
        assert {n for n, _ in found["projectors"]} <= touched  # both projectors and the temporal positions learn
        if "lora" in groups:
            assert any(".llm." in f".{n}" and "lora_" in n for n in touched)
            assert any(n.startswith("vision.") and "lora_" in n for n in touched)
        assert all(not p.requires_grad for g in ("vision", "motion", "llm") for _, p in found[g])


def test_save_then_load_gives_identical_outputs(tiny, tmp_path):
    model, tok = load(tiny["model"], "cpu")
    params = model.set_trainable({"projectors", "lora"})
    optimizer = torch.optim.AdamW(params, lr=1e-2)
    model.train()
    model(**_batch(model, tok, tiny["data"])).loss.backward()
    optimizer.step()  # adapters move away from their zero start, so a lost adapter would show
    before = LMM(model, tok)
    model.save(tmp_path / "saved", tok)
    after = LMM.load(tmp_path / "saved", "cpu")
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == ["finevq_lmm.json", "llm_adapter", "trained.safetensors",
                                                                       "vision_adapter"]
    clip = before.read(str(tiny["videos"]["clean"]))
    first, second = before.media(clip), after.media(clip)
    assert torch.allclose(first.image, second.image, atol=1e-6) and torch.allclose(first.motion, second.motion, atol=1e-6)
    a, b = before.score(clip, first), after.score(clip, second)
    assert all(a[d].score == pytest.approx(b[d].score, abs=1e-4) for d in DIMENSIONS)
    assert before.ask(clip, first, "Please describe the quality of this video in detail.") == \
        after.ask(clip, second, "Please describe the quality of this video in detail.")


# --- data --------------------------------------------------------------------------------

def test_collator_masks_prompts_and_reads_score_targets(tiny, engine):
    tok = engine.tokenizer
    batch = _batch(engine.model, tok, tiny["data"].model_copy(update={"kinds": ["score"]}), n=3)
    for row in range(3):
        labels, ids, mask = batch["labels"][row], batch["input_ids"][row], batch["attention_mask"][row]
        answer = labels != tokens.IGNORE
        assert torch.equal(labels[answer], ids[answer])
        first = int(answer.nonzero()[0])
        assert not answer[:first].any() and mask[: int(mask.sum())].all() and not mask[int(mask.sum()):].any()
        assert int(batch["regression_index"][row]) == first - 1
        assert "score" in tok.decode(ids[answer])
        assert 0.0 <= float(batch["regression_targets"][row]) <= 1.0
    assert score_target([{"role": "user", "content": "Score the blur of this video on a scale from 1 to 5."},
                         {"role": "assistant", "content": "The blur score of this video is 4.00."}]) == pytest.approx(0.75)
    assert score_target([{"role": "user", "content": "How would you rate the blur of this video?"},
                         {"role": "assistant", "content": "The blur of this video is rated mild."}]) is None


def test_stream_shards_and_skips_without_overlap(tiny, engine):
    encoder = ExampleEncoder(engine.tokenizer, engine.config)
    data = tiny["data"]

    def ids(**options):
        return [tuple(e.input_ids) for e in InstructionStream(data.train, encoder, data, cycle=False, **options)]

    everything = ids()
    halves = ids(rank=0, world=2) + ids(rank=1, world=2)
    assert sorted(halves) == sorted(everything)
    assert ids(skip=5) == everything[5:]


def test_stage0_recognition_data(tmp_path):
    settings = SyntheticSettings(sources=1, levels=[4], distortions=["gaussian_blur"], width=32, height=32, seconds=0.5, fps=8)
    path = make_recognition_data(tmp_path, settings)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["conversations"][1]["value"] for r in records] == ["This video shows no distortion.",
                                                                 "This video shows strong gaussian blur."]
    assert all((tmp_path / "clips" / r["id"].split("#")[0]).exists() for r in records)


# --- other configurations ----------------------------------------------------------------

def test_qwen2_with_per_second_interleaved_tokens(tiny, tmp_path):
    llm = make_tiny_llm(tmp_path / "qwen2", LMM.load(tiny["model"], "cpu").tokenizer, "qwen2")
    out = compose(tiny["vision"], llm, tmp_path / "model", preset="vqa2", motion=TINY_MOTION, max_new_tokens=4)
    engine = LMM.load(out, "cpu")
    video = make_test_video(tmp_path / "two.mp4", width=64, height=48, seconds=2.0, fps=8)
    clip = engine.read(str(video))
    assert clip.keyframe_times == [0.5, 1.5] and len(clip.motion_times) == 16
    ids = engine.encoder.prompt_ids(engine.messages(clip, "How is the blur?"), clip)
    media_ids = [t for t in ids if t < 0]
    per_frame = engine.config.tokens_per_frame
    i, m = tokens.IMAGE_ID, tokens.MOTION_ID
    assert media_ids == ([i] * per_frame + [m] * 8) * 2  # second by second: its keyframe, then its 8 motion tokens
    scores = engine.score(clip, engine.media(clip))
    assert all(0.0 <= s.score <= 100.0 for s in scores.values())


def test_resolution_comes_from_the_processor_file_else_the_config(tiny, tmp_path):
    from finevq.lmm.tiny import make_tiny_vision
    from finevq.lmm.vision import image_settings, load_tower

    bare = make_tiny_vision(tmp_path / "bare", image_size=48, patch=8, processor_file=False)
    assert image_settings(str(bare), load_tower(str(bare))) == (48, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    (bare / "preprocessor_config.json").write_text(json.dumps({"do_center_crop": True, "crop_size": {"height": 40, "width": 40},
                                                               "size": {"shortest_edge": 44}, "image_mean": [0.4] * 3,
                                                               "image_std": [0.2] * 3}))
    assert image_settings(str(bare), load_tower(str(bare))) == (40, (0.4, 0.4, 0.4), (0.2, 0.2, 0.2))


def test_regression_head_trains_with_mse_and_scores(tiny, tmp_path):
    out = compose(tiny["vision"], tiny["llm"], tmp_path / "model", score_head="regression", num_frames=2, prompt="plain",
                  motion={"enabled": False})
    model, tok = load(out, "cpu")
    hidden = model.llm.get_input_embeddings().embedding_dim
    head = model.regression_head
    assert (head[0].out_features, head[2].out_features) == (hidden, 1)  # an MLP, not a bottleneck of width 1
    model.set_trainable({"projectors"})
    result = model(**_batch(model, tok, tiny["data"].model_copy(update={"kinds": ["score"]})))
    assert result.regression_loss is not None and result.loss.item() > result.lm_loss.item()
    result.loss.backward()
    assert any(n.startswith("regression_head.") for n in _grads(model))
    engine = LMM(model, tok)
    clip = engine.read(str(tiny["videos"]["clean"]))
    assert clip.motion is None
    scores = engine.score(clip, engine.media(clip))
    assert all(0.0 <= s.score <= 100.0 and s.probabilities is None for s in scores.values())


# --- training, resuming, assessing, merging ----------------------------------------------

@pytest.fixture(scope="module")
def trained(tiny):
    output = tiny["root"] / "run"
    settings = TrainSettings(model=str(tiny["model"]), output=str(output), data=tiny["data"], save_every=1, log_every=1,
                             optim={"batch_size": 2, "lr": 1e-3},
                             stages=[{"name": "stage1", "train": ["projectors"], "max_steps": 2},
                                     {"name": "stage2", "train": ["projectors", "lora"], "max_steps": 2}])
    final = Trainer(settings).run()
    return {"settings": settings, "output": output, "final": final}


def test_training_logs_checkpoints_and_resumes(trained):
    output = trained["output"]
    log = [json.loads(line) for line in (output / "log.jsonl").read_text().splitlines()]
    assert [(r["stage"], r["step"], r["global_step"]) for r in log] == [("stage1", 1, 1), ("stage1", 2, 2), ("stage2", 1, 3),
                                                                        ("stage2", 2, 4)]
    assert all(math.isfinite(r["loss"]) for r in log)
    assert LMMConfig.load(trained["final"]).trained == ["projectors", "lora"]
    mid = output / "checkpoint-3"  # one step into stage 2
    assert json.loads((mid / "trainer_state.json").read_text()) == {"stage": 1, "step": 1, "examples": 2, "global_step": 3}
    assert {"optimizer.pt", "scheduler.pt", "llm_adapter", "trained.safetensors"} <= {p.name for p in mid.iterdir()}
    resumed = Trainer(trained["settings"], resume=mid)
    assert resumed.state["global_step"] == 3
    resumed.run()
    log = [json.loads(line) for line in (output / "log.jsonl").read_text().splitlines()]
    assert (log[-1]["stage"], log[-1]["step"], log[-1]["global_step"], log[-1]["examples"]) == ("stage2", 2, 4, 4)


def test_registered_assessor_fills_the_schema(trained, tiny):
    import finevq.lmm.assessor  # noqa: F401  (registers "lmm" until the registry imports it)
    from finevq.assessors import create_assessor

    assessor = create_assessor(f"lmm:{trained['final']}", device="cpu")
    result = assessor.assess(tiny["videos"]["blur"])
    assert result.ok, result.error
    assert set(result.dimensions) == set(DIMENSIONS) and result.model.name == "finevq-lmm"
    assert result.info.frame_count == 8 and result.description
    broken = tiny["root"] / "broken.mp4"
    broken.write_bytes(b"\x00" * 100)
    assert assessor.assess(broken).error.code == "not_a_video"


def test_ask_model_answers_with_the_lmm(trained, tiny):
    from finevq.instruct import ask_model

    answer = ask_model(str(trained["final"]), str(tiny["videos"]["clean"]), "Considering blur, how would you rate the quality level of this video?")
    assert answer.kind == "rating" and isinstance(answer.text, str)
    with pytest.raises(NotImplementedError, match="no finevq_lmm.json"):
        ask_model(str(tiny["root"]), str(tiny["videos"]["clean"]), "Describe it.")


def test_merge_folds_adapters_without_changing_scores(trained, tiny, tmp_path):
    result = CliRunner().invoke(app, ["merge", str(trained["final"]), "-o", str(tmp_path / "merged")])
    assert result.exit_code == 0, result.output
    config = LMMConfig.load(tmp_path / "merged")
    assert config.adapters == [] and {"llm", "vision"} <= set(config.trained)
    adapted, merged = LMM.load(trained["final"], "cpu"), LMM.load(tmp_path / "merged", "cpu")
    clip = adapted.read(str(tiny["videos"]["dark"]))
    a, b = adapted.score(clip, adapted.media(clip)), merged.score(clip, merged.media(clip))
    assert all(a[d].score == pytest.approx(b[d].score, abs=1e-3) for d in DIMENSIONS)
    with pytest.raises(ValueError, match="no LoRA adapters"):
        merge(tmp_path / "merged", tmp_path / "again")
