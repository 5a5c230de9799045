"""FineVQ's LMM: a vision tower and a SlowFast-style motion encoder, projected into an LLM
tuned with LoRA, scoring by level-word probabilities.

It needs the optional dependencies (``pip install 'finevq[lmm]'``), local checkpoints and,
for real models, a GPU; see docs/lmm.md. Importing this package loads nothing heavy: the
"lmm" assessor registers by name and loads torch and transformers when it is created.
Modules: config, media (decoding), vision, motion_encoder, convert, projector, tokens,
scoring, model, engine (inference), data, stage0, train, compose (init, merge),
assessor, cli, tiny (random checkpoints for tests and smoke runs).
"""
