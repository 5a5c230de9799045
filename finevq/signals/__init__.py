"""Measured signals: plain numbers computed from pixels, before any head turns them into scores.

`spatial` reads single frames (blur, noise, artifacts, colour); `motion` reads frame to
frame. Every function here is pure, array in and numbers out, so the heads can be tuned and
tested on signals alone.
"""
