"""Subjective study kit: collect fine-grained human ratings in a browser and turn them into MOS.

Follows FineVD's protocol (six dimensions, five levels, distortion-type ticks, BT.500-style
screening, per-subject z-scores) so that labels collected on a platform's own videos can
train and evaluate finevq exactly like FineVD's. Kept import-light: the web parts load
only when `serve` needs them.
"""
