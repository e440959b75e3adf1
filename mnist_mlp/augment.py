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


# ---------------------------------------------------------------- other versions of each image

WIDENED = 0.5  # of the re-drawn images, this share is also widened towards a square box


def make_variants(images: torch.Tensor, labels: torch.Tensor, seed: int, redraw: bool, styles: bool,
                  chunk: int = 1000, styles_table: dict | None = None) -> torch.Tensor:
    """Other versions of each training image, drawn once per run: uint8 [N, 3, 28, 28] holding
    its skeleton re-drawn with a random pen, the same widened, and a drawing of its label in a style
    MNIST lacks (zeros where the label has none, or where a kind was not asked for)."""
    from .redraw import narrow_to_square, redraw_with_pen

    out = torch.zeros(len(images), 3, 28, 28, dtype=torch.uint8)
    generator = torch.Generator().manual_seed(seed + 7)
    if redraw:
        for start in range(0, len(images), chunk):
            part = images[start:start + chunk].float() / 255
            plain = redraw_with_pen(part, torch.ones(len(part)), generator)
            wide = redraw_with_pen(part, narrow_to_square(part, generator), generator)
            out[start:start + chunk, 0] = (plain * 255).round().to(torch.uint8)
            out[start:start + chunk, 1] = (wide * 255).round().to(torch.uint8)
    if styles:
        restyle(out, labels, seed, styles_table=styles_table)
    return out


def restyle(variants: torch.Tensor, labels: torch.Tensor, seed: int, epoch: int = 0,
            styles_table: dict | None = None) -> None:
    """Draw the style digits of `variants` (in place) afresh: a new drawing for each epoch, so
    a long run sees many more of them than it has images (the strokes take ~14 s per 60,000)."""
    from .styles import style_images

    variants[:, 2] = torch.from_numpy(style_images(labels.numpy(), seed + 11 + 1000 * epoch, styles_table))


def pick_variants(images: torch.Tensor, variants: torch.Tensor, redraw: float, styles: float,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """A batch (float [B, 28, 28]) with each image swapped, by chance, for one of its `variants`
    (uint8 [B, 3, 28, 28]): re-drawn with probability `redraw` (WIDENED of those widened), a style
    drawing with probability `styles` where its label has one."""
    b = len(images)
    redrawn = torch.rand(b, generator=generator) < redraw
    widened = torch.rand(b, generator=generator) < WIDENED
    styled = (torch.rand(b, generator=generator) < styles) & (variants[:, 2].flatten(1).amax(1) > 0)
    choice = torch.where(styled, 3, torch.where(redrawn, torch.where(widened, 2, 1), 0))
    stack = torch.cat([images.unsqueeze(1), variants.float() / 255], 1)
    return stack[torch.arange(b), choice]
