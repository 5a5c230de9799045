"""Procedural source footage, so tests and calibration never need real video files.

Distortion detectors are tuned on what real footage looks like, so the scene carries the
statistics they rely on: 1/f textures, edges of many contrasts, smooth sky gradients (where
banding shows), saturated and muted regions, text strokes and thin lines (where blur and
aliasing show), mid-tone exposure (so over-dark/over-bright have room to act) and smooth
motion (so temporal distortions have something to break). The scene is painted once on a
canvas larger than the frame; each frame is a crop of it plus a few moving sprites, which
keeps 1080p generation at a few milliseconds a frame.

Layout, palette and object paths are in fractions of the frame and come from their own
random stream, so one seed gives the same scene at any size; the texture fields (and the
ridge line and building bases that follow them) come from a second stream drawn at the
working resolution, so they differ in detail.
"""

from __future__ import annotations

import colorsys
import math
import string
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
import scipy.fft

#: Canvas margin around the frame, as a fraction of its width: the range of the camera pan.
_PAN_MARGIN = 0.12


def make_clip(width: int, height: int, seconds: float, fps: float, seed: int, motion: str = "pan") -> list[np.ndarray]:
    """A whole clip as a list of RGB uint8 frames; use `iter_clip` for long or large clips."""
    return list(iter_clip(width, height, seconds, fps, seed, motion))


def iter_clip(width: int, height: int, seconds: float, fps: float, seed: int, motion: str = "pan") -> Iterator[np.ndarray]:
    """Yield round(seconds * fps) RGB uint8 frames of one seeded scene.

    motion="pan" moves the camera slowly left and right across the canvas; "static" holds it
    still. One or two objects cross the frame either way, so a static clip still has motion.
    """
    if motion not in ("pan", "static"):
        raise ValueError(f"motion must be 'pan' or 'static', not {motion!r}")
    if width < 16 or height < 16:
        raise ValueError(f"frame size {width}x{height} is too small; both sides need at least 16 pixels")
    rng, noise = np.random.default_rng(seed).spawn(2)  # layout and texture draws
    margin = round(_PAN_MARGIN * width)
    canvas = _paint_scene(width + 2 * margin, height, rng, noise)
    if motion == "pan":  # the blur of a horizontal pan, which also hides the pixel grid's phase
        canvas = cv2.GaussianBlur(canvas, (0, 0), sigmaX=0.7, sigmaY=0.01)
    sprites = [_Sprite.make(width, height, rng, noise) for _ in range(rng.integers(1, 3))]
    period = rng.uniform(14.0, 22.0)
    phase = rng.uniform(0.0, 2.0 * math.pi)
    for i in range(round(seconds * fps)):
        t = i / fps
        if motion == "static":
            frame = canvas[:, margin : margin + width].copy()
        else:
            frame = _crop(canvas, 1.0 + (margin - 1.5) * (1.0 + math.sin(2.0 * math.pi * t / period + phase)), width)
        for sprite in sprites:
            sprite.draw(frame, t)
        yield frame


def _crop(canvas: np.ndarray, x: float, width: int) -> np.ndarray:
    """Columns [x, x + width) at a sub-pixel offset, by Catmull-Rom interpolation.

    The pan is horizontal, so a 1x4 cv2.filter2D does it at a fraction of cv2.warpAffine's
    cost. Two taps (linear) would soften every half-pixel frame by a quarter, a sharpness
    pulse at the pan's rhythm; four taps keep it to a few percent.
    """
    x0 = int(x)
    a = x - x0
    taps = np.float32([[a * (a * (1 - a / 2) - 0.5), 1 + a * a * (1.5 * a - 2.5), a * (a * (2 - 1.5 * a) + 0.5), a * a * (a - 1) / 2]])
    out = cv2.filter2D(canvas[:, x0 - 1 : x0 + width + 2], -1, taps, anchor=(1, 0))
    return np.ascontiguousarray(out[:, 1 : 1 + width])


def _pink(shape: tuple[int, int], rng: np.random.Generator, beta: float = 1.0) -> np.ndarray:
    """Zero-mean unit-variance noise whose amplitude spectrum falls as 1/f**beta.

    beta=1 is the spectrum of natural images; larger beta gives smoother fields (clouds, hills).
    """
    white = rng.standard_normal(shape, dtype=np.float32)
    fy = np.fft.fftfreq(shape[0]).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(shape[1]).astype(np.float32)[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0  # the mean is removed below anyway
    field = scipy.fft.irfft2(scipy.fft.rfft2(white, workers=-1) / f**beta, s=shape, workers=-1)
    field -= field.mean()
    return field / field.std()


def _pink_1d(n: int, rng: np.random.Generator, beta: float) -> np.ndarray:
    return _pink((1, n), rng, beta)[0]


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    """An RGB colour in 0..1 from hue in degrees and saturation/value in 0..1."""
    return np.array(colorsys.hsv_to_rgb(h / 360.0, s, v), np.float32)


def _paint_scene(w: int, h: int, rng: np.random.Generator, noise: np.random.Generator) -> np.ndarray:
    """A street-like landscape: sky, hills, buildings with windows and signs, wires, a fence."""
    img = np.empty((h, w, 3), np.float32)
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]

    # Sky: a smooth gradient with soft clouds, the banding-prone region.
    horizon = rng.uniform(0.3, 0.45)
    zenith, haze = _hsv(rng.uniform(190, 230), rng.uniform(0.45, 0.7), rng.uniform(0.55, 0.75)), _hsv(
        rng.uniform(20, 60), rng.uniform(0.05, 0.2), 0.9
    )
    img[:] = zenith + (haze - zenith) * np.clip(y / horizon, 0.0, 1.0) ** 1.5
    clouds = np.clip(_pink((h, w), noise, beta=1.8) - 0.3, 0.0, None)[..., None]
    img += 0.18 * clouds * (y < horizon + 0.1)

    # Hills: a 1/f ridge line, below it a 1/f textured ground with drifting hue.
    ridge = (horizon + 0.05 * _pink_1d(w, noise, beta=1.5)) * h
    below = np.arange(h, dtype=np.float32)[:, None] >= ridge[None, :]
    ground = _hsv(rng.uniform(60, 140), rng.uniform(0.25, 0.45), 0.45)
    tint = _hsv(rng.uniform(20, 50), 0.4, 0.45)
    mix = (0.5 + 0.25 * _pink((h, w), noise, beta=2.0))[..., None]
    texture = 1.0 + 0.22 * _pink((h, w), noise, beta=1.0)[..., None]
    img[below] = ((ground * (1.0 - mix) + tint * mix) * texture)[below]

    img = np.clip(img, 0.0, 1.0)
    _buildings(img, rng, noise, ridge)
    _wires(img, rng, horizon)
    _fence(img, rng)
    # Mild optical softness, as behind any real lens; thin lines stay visible.
    img = cv2.GaussianBlur(img, (0, 0), 0.5)
    return _expose(img)


def _buildings(img: np.ndarray, rng: np.random.Generator, noise: np.random.Generator, ridge: np.ndarray) -> None:
    """Blocks of several contrasts, saturated and muted, with window grids and text signs."""
    h, w = img.shape[:2]
    for _ in range(rng.integers(3, 7)):
        bw, bh = int(rng.uniform(0.08, 0.2) * w), int(rng.uniform(0.25, 0.55) * h)
        x0 = int(rng.uniform(0.0, 1.0) * (w - bw))
        base = int(min(h - 1, ridge[x0 : x0 + bw].max() + rng.uniform(0.05, 0.2) * h))
        top = max(0, base - bh)
        saturated = rng.random() < 0.35
        wall = _hsv(rng.uniform(0, 360), rng.uniform(0.6, 0.9) if saturated else rng.uniform(0.0, 0.15), rng.uniform(0.3, 0.85))
        grain = 1.0 + 0.06 * _pink((base - top, bw), noise)[..., None]
        img[top:base, x0 : x0 + bw] = np.clip(wall * grain, 0.0, 1.0)
        # Shade one side: an edge of much lower contrast than the outline.
        img[top:base, x0 + int(0.8 * bw) : x0 + bw] *= 0.85
        _windows(img[top:base, x0 : x0 + bw], rng, dark=rng.random() < 0.6)
        if rng.random() < 0.6:
            _sign(img, rng, x0, top, bw, h)


def _windows(wall: np.ndarray, rng: np.random.Generator, dark: bool) -> None:
    """A periodic grid: fine detail that blurs away and aliases into moire when subsampled."""
    h, w = wall.shape[:2]
    pitch = max(3, int(rng.uniform(0.015, 0.03) * (h + w)))
    pane = _hsv(rng.uniform(180, 220), 0.2, 0.15 if dark else 0.9)
    for y in range(pitch // 2, h - pitch, pitch):
        for x in range(pitch // 2, w - pitch, pitch):
            cv2.rectangle(wall, (x, y), (x + pitch // 2, y + int(0.7 * pitch)), pane.tolist(), -1)


def _sign(img: np.ndarray, rng: np.random.Generator, x0: int, top: int, bw: int, h: int) -> None:
    """A saturated board with light text: high-contrast strokes."""
    sh, sw = max(6, int(0.06 * h)), bw - 4
    y0 = top + int(0.1 * h)
    if y0 + sh >= h or sw < 8:
        return
    text = "".join(rng.choice(list(string.ascii_uppercase + string.digits), size=int(rng.integers(4, 9))))
    scale = sh / 30.0
    ink = np.zeros((sh, sw), np.uint8)  # putText draws on 8-bit images only
    cv2.putText(ink, text, (2, int(0.8 * sh)), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, max(1, int(scale * 2)), cv2.LINE_AA)
    a = ink[..., None].astype(np.float32) / 255.0
    board = _hsv(rng.uniform(0, 360), 0.9, 0.7)
    img[y0 : y0 + sh, x0 + 2 : x0 + 2 + sw] = board * (1.0 - a) + np.float32([0.95, 0.95, 0.9]) * a


def _wires(img: np.ndarray, rng: np.random.Generator, horizon: float) -> None:
    """Sagging one-pixel cables across the sky: the thinnest detail in the scene."""
    h, w = img.shape[:2]
    x = np.linspace(0, w - 1, 64)
    for _ in range(rng.integers(1, 4)):
        y = h * (rng.uniform(0.05, horizon) + rng.uniform(0.03, 0.1) * (2.0 * x / w - 1.0) ** 2)
        pts = np.stack([x, y], axis=1).astype(np.int32)
        cv2.polylines(img, [pts], False, (0.12, 0.12, 0.12), 1, cv2.LINE_AA)


def _fence(img: np.ndarray, rng: np.random.Generator) -> None:
    """A strip of fine vertical slats along the bottom: the scene's moire target."""
    h, w = img.shape[:2]
    y0 = int(rng.uniform(0.82, 0.9) * h)
    pitch = max(3, round(0.004 * w))
    colour = _hsv(rng.uniform(0, 60), rng.uniform(0.1, 0.4), rng.uniform(0.6, 0.8))
    img[y0 : y0 + max(2, h // 40)] = colour
    for x in range(0, w, pitch):
        cv2.line(img, (x, y0), (x, min(h - 1, y0 + int(0.08 * h))), colour.tolist(), 1)


def _expose(img: np.ndarray) -> np.ndarray:
    """Map the 0.5/99.5 luma percentiles to 24/232: mid-tone exposure, nothing clipped."""
    luma = img @ np.array([0.299, 0.587, 0.114], np.float32)
    lo, hi = np.percentile(luma, [0.5, 99.5])
    out = 24.0 + (img - lo) * (208.0 / max(hi - lo, 1e-3))
    return np.clip(out, 8.0, 247.0).astype(np.uint8)


@dataclass
class _Sprite:
    """A textured, saturated object moving on a smooth periodic path in frame coordinates."""

    rgb: np.ndarray  # float32, the sprite's colour
    alpha: np.ndarray  # float32 HxWx1 coverage with an anti-aliased rim
    width: int
    height: int
    period: float
    phase: float
    y_centre: float

    @classmethod
    def make(cls, width: int, height: int, rng: np.random.Generator, noise: np.random.Generator) -> _Sprite:
        size = max(6, int(rng.uniform(0.12, 0.2) * height))
        sw, sh = (int(size * rng.uniform(1.2, 2.0)), size) if rng.random() < 0.5 else (size, size)
        # Draw the outline at 4x and area-average down: a soft, anti-aliased rim.
        mask = np.zeros((4 * sh, 4 * sw), np.uint8)
        cv2.ellipse(mask, (2 * sw, 2 * sh), (2 * sw - 2, 2 * sh - 2), 0, 0, 360, 255, -1)
        alpha = cv2.resize(mask, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255.0
        colour = _hsv(rng.uniform(0, 360), rng.uniform(0.7, 0.95), rng.uniform(0.6, 0.8))
        shade = np.linspace(1.15, 0.75, sh, dtype=np.float32)[:, None, None]  # lit from above
        texture = 1.0 + 0.12 * _pink((sh, sw), noise)[..., None]
        rgb = np.clip(colour * shade * texture * 255.0, 20.0, 235.0)
        return cls(rgb, alpha, width, height, rng.uniform(6.0, 12.0), rng.uniform(0, 2 * math.pi), rng.uniform(0.45, 0.75))

    def draw(self, frame: np.ndarray, t: float) -> None:
        """Alpha-blend the sprite at its sub-pixel position at time t, clipped to the frame."""
        sh, sw = self.alpha.shape[:2]
        cx = self.width * (0.5 + 0.4 * math.sin(2.0 * math.pi * t / self.period + self.phase))
        cy = self.height * (self.y_centre + 0.05 * math.sin(2.0 * math.pi * t / (0.7 * self.period) + self.phase))
        x, y = cx - sw / 2.0, cy - sh / 2.0
        ix, iy = math.floor(x), math.floor(y)
        shift = np.float32([[1, 0, x - ix], [0, 1, y - iy]])
        size = (sw + 1, sh + 1)
        rgb = cv2.warpAffine(self.rgb, shift, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        alpha = cv2.warpAffine(self.alpha, shift, size, flags=cv2.INTER_LINEAR)[..., None]
        fx0, fy0 = max(ix, 0), max(iy, 0)
        fx1, fy1 = min(ix + sw + 1, self.width), min(iy + sh + 1, self.height)
        if fx0 >= fx1 or fy0 >= fy1:
            return
        sx, sy = fx0 - ix, fy0 - iy
        a = alpha[sy : sy + fy1 - fy0, sx : sx + fx1 - fx0]
        roi = frame[fy0:fy1, fx0:fx1]
        roi[:] = (roi * (1.0 - a) + rgb[sy : sy + fy1 - fy0, sx : sx + fx1 - fx0] * a + 0.5).astype(np.uint8)
