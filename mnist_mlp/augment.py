"""On-the-fly distortions of whole training batches, the ways people's handwriting varies.

Everything is one `grid_sample` over the batch (affine + elastic combined) plus a max-pool for
stroke thickness, so augmenting 60,000 digits costs well under a second per epoch on a CPU.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    rotation_degrees: float = 12.0
    scale: tuple[float, float] = (0.85, 1.12)
    aspect: float = 0.12  # x and y scale differ by up to ±12 %
    shear: float = 0.3  # slant: x += shear * y
    translate_px: float = 2.0
    elastic_px: float = 1.6  # amplitude of the smooth displacement field (Simard et al. 2003)
    elastic_grid: int = 5  # the field is random on a coarse grid, upsampled smoothly
    thickness: float = 0.7  # per-image blend towards a dilated (thicker) or eroded (thinner) stroke


def _uniform(n: int, low: float, high: float, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(n, generator=generator) * (high - low) + low


def augment_batch(images: torch.Tensor, config: AugmentConfig = AugmentConfig(),
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """images: float [B, 28, 28] in [0, 1] → a distorted copy of the same shape and range."""
    b, h, w = images.shape
    x = images.unsqueeze(1)
    angle = _uniform(b, -1, 1, generator) * math.radians(config.rotation_degrees)
    scale = _uniform(b, *config.scale, generator)
    aspect = _uniform(b, -config.aspect, config.aspect, generator)
    sx, sy = scale * (1 + aspect), scale * (1 - aspect)
    shear = _uniform(b, -config.shear, config.shear, generator)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # theta maps output coordinates to input coordinates, so invert scale: a bigger digit samples less.
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = cos / sx
    theta[:, 0, 1] = (-sin + shear * cos) / sx
    theta[:, 1, 0] = sin / sy
    theta[:, 1, 1] = (cos + shear * sin) / sy
    theta[:, :, 2] = _uniform(2 * b, -1, 1, generator).view(b, 2) * (2 * config.translate_px / w)
    grid = F.affine_grid(theta, (b, 1, h, w), align_corners=False)
    if config.elastic_px > 0:
        coarse = torch.rand(b, 2, config.elastic_grid, config.elastic_grid, generator=generator) * 2 - 1
        field = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True)
        grid = grid + field.permute(0, 2, 3, 1) * (2 * config.elastic_px / w)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if config.thickness > 0:
        thicker = F.max_pool2d(out, 3, stride=1, padding=1)
        thinner = -F.max_pool2d(-out, 3, stride=1, padding=1)
        t = _uniform(b, -config.thickness, config.thickness, generator).view(b, 1, 1, 1)
        out = torch.where(t > 0, out + t * (thicker - out), out + (-t) * (thinner - out))
    return out.squeeze(1).clamp_(0, 1)


# ---------------------------------------------------------------- styles MNIST lacks

@dataclass(frozen=True)
class StyleConfig:
    """Strokes that many writers outside the US add and MNIST's writers rarely did. Each is drawn on
    a share of the training digits of its class, before the distortions above (so they bend too).

    Measured on Semeion canvases with the shipped model: half of the fine-pen `1`s (a long up-stroke
    flag, often a foot) were read as 7, 2 or 4, and `9`s whose tail hooks left as 3 or 8."""
    one_flag: float = 0.5  # share of 1s given a flag: a stroke from the top going down-left
    one_flag_length: tuple[float, float] = (0.35, 0.7)  # of the stem's height
    one_foot: float = 0.3  # share of flagged 1s that also get a foot (a tick right of the stem's end)
    one_widen: tuple[float, float] = (1.0, 1.4)  # flagged 1s stretched sideways (a wide, sloping flag)
    seven_bar: float = 0.25  # share of 7s crossed at mid-height (the continental 7)
    nine_hook: float = 0.25  # share of 9s whose tail curls left at the bottom
    pen: tuple[float, float] = (1.6, 2.8)  # stroke width of the added strokes, px at 28×28


def _segments(b: int, h: int, w: int, starts: torch.Tensor, ends: torch.Tensor,
              widths: torch.Tensor) -> torch.Tensor:
    """Anti-aliased round-capped line segments, one per image: [b, h, w] ink in [0, 1].
    starts/ends: [b, 2] (row, col) in pixel coordinates; widths: [b]."""
    rows = torch.arange(h, dtype=torch.float32).view(1, h, 1)
    cols = torch.arange(w, dtype=torch.float32).view(1, 1, w)
    (r0, c0), (r1, c1) = starts.T.reshape(2, b, 1, 1), ends.T.reshape(2, b, 1, 1)
    dr, dc = r1 - r0, c1 - c0
    t = (((rows - r0) * dr + (cols - c0) * dc) / (dr * dr + dc * dc).clamp_min(1e-6)).clamp(0, 1)
    distance = torch.sqrt((rows - r0 - t * dr) ** 2 + (cols - c0 - t * dc) ** 2)
    return (widths.view(b, 1, 1) / 2 + 0.5 - distance).clamp(0, 1)


def _ink_end(images: torch.Tensor, top: bool) -> torch.Tensor:
    """[b, 2] (row, col) of each digit's topmost (or bottommost) ink: the first (last) row with
    solid ink, at the ink-weighted mean column of that row."""
    b, h, w = images.shape
    solid = images > 0.5
    has = solid.any(dim=2)  # [b, h]
    index = torch.arange(h).expand(b, h)
    row = torch.where(has, index, h if top else -1).amin(1) if top else torch.where(has, index, -1).amax(1)
    row = row.clamp(0, h - 1)
    line = images[torch.arange(b), row]  # [b, w]
    col = (line * torch.arange(w, dtype=torch.float32)).sum(1) / line.sum(1).clamp_min(1e-6)
    return torch.stack([row.float(), col], dim=1)


def _stretch_x(images: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Widen each image about its centre by `factor` [b] (≥ 1), anti-aliased."""
    b, h, w = images.shape
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = 1 / factor
    theta[:, 1, 1] = 1
    grid = F.affine_grid(theta, (b, 1, h, w), align_corners=False)
    return F.grid_sample(images.unsqueeze(1), grid, mode="bilinear", align_corners=False).squeeze(1)


def _chosen(labels: torch.Tensor, digit: int, share: float, generator) -> torch.Tensor:
    return torch.nonzero((labels == digit) & (torch.rand(len(labels), generator=generator) < share)).flatten()


def add_styles(images: torch.Tensor, labels: torch.Tensor, config: StyleConfig = StyleConfig(),
               generator: torch.Generator | None = None) -> torch.Tensor:
    """A copy of `images` (float [B, 28, 28] in [0, 1]) with writer styles drawn on some digits."""
    out = images.clone()
    ones = _chosen(labels, 1, config.one_flag, generator)
    if len(ones):
        digits = out[ones]
        n = len(ones)
        top, bottom = _ink_end(digits, top=True), _ink_end(digits, top=False)
        height = (bottom[:, 0] - top[:, 0]).clamp_min(8)
        # The flag: from the top of the stem, down and to the left.
        angle = _uniform(n, math.radians(30), math.radians(60), generator)  # flatter reads as a 7
        length = height * _uniform(n, *config.one_flag_length, generator)
        flag_end = top + torch.stack([torch.sin(angle), -torch.cos(angle)], 1) * length[:, None]
        widths = _uniform(n, *config.pen, generator)
        strokes = _segments(n, 28, 28, top, flag_end, widths)
        # The foot: a tick from the stem's end to the right, 15–35 % of the height long.
        reach = height * _uniform(n, 0.15, 0.35, generator)
        foot = _segments(n, 28, 28, bottom, bottom + torch.stack([torch.zeros(n), reach], 1), widths)
        with_foot = (torch.rand(n, generator=generator) < config.one_foot).float().view(n, 1, 1)
        digits = torch.maximum(digits, torch.maximum(strokes, foot * with_foot))
        out[ones] = _stretch_x(digits, _uniform(n, *config.one_widen, generator))
    sevens = _chosen(labels, 7, config.seven_bar, generator)
    if len(sevens):
        digits = out[sevens]
        n = len(sevens)
        top, bottom = _ink_end(digits, top=True), _ink_end(digits, top=False)
        middle_row = (top[:, 0] + bottom[:, 0]) / 2 + _uniform(n, -1.5, 1.5, generator)
        line = digits[torch.arange(n), middle_row.round().long().clamp(0, 27)]
        col = (line * torch.arange(28, dtype=torch.float32)).sum(1) / line.sum(1).clamp_min(1e-6)
        half = _uniform(n, 2.5, 4.5, generator)
        bar = _segments(n, 28, 28, torch.stack([middle_row, col - half], 1),
                        torch.stack([middle_row, col + half], 1), _uniform(n, *config.pen, generator))
        out[sevens] = torch.maximum(digits, bar)
    nines = _chosen(labels, 9, config.nine_hook, generator)
    if len(nines):
        digits = out[nines]
        n = len(nines)
        bottom = _ink_end(digits, top=False)
        # The hook: from the tail's end, left and a little up, 4–8 px.
        angle = _uniform(n, math.radians(0), math.radians(40), generator)
        length = _uniform(n, 4, 8, generator)
        end = bottom + torch.stack([-torch.sin(angle), -torch.cos(angle)], 1) * length[:, None]
        out[nines] = torch.maximum(digits, _segments(n, 28, 28, bottom, end, _uniform(n, *config.pen, generator)))
    return out
