"""Pictures the tabs show: enlarged 28×28 inputs, "where it looked", the preprocessing stages,
a confusion matrix, weight images. Plain NumPy/PIL, no Gradio."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ..preprocess import to_mnist


def upscale(pixels: np.ndarray, cell: int) -> np.ndarray:
    """[h, w, c] → [h·cell, w·cell, c], each pixel a cell × cell block. Columns by `repeat`, rows by
    one broadcast copy: 0.11 ms for a layer's 49×49 grid at 8 px against 0.80 ms for two repeats
    (the *Inside* panel draws eight unit tiles and two such grids per stroke)."""
    h, w, c = pixels.shape
    out = np.empty((h, cell, w * cell, c), pixels.dtype)
    out[:] = pixels.repeat(cell, axis=1)[:, None]
    return out.reshape(h * cell, w * cell, c)


def enlarge(image28: np.ndarray, cell: int = 10) -> np.ndarray:
    """28×28 floats (grey, or RGB [28, 28, 3]) → a big RGB picture with visible pixels and a faint grid."""
    pixels = (np.clip(image28, 0, 1) * 255).astype(np.uint8)
    rgb = pixels if pixels.ndim == 3 else np.stack([pixels] * 3, axis=-1)
    rgb = upscale(rgb, cell)
    rgb[::cell, :, :] = np.maximum(rgb[::cell, :, :], 40)
    rgb[:, ::cell, :] = np.maximum(rgb[:, ::cell, :], 40)
    return rgb


def looked_overlay(image28: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """The input in grey with the pixels that pushed towards the prediction in red-to-yellow."""
    base = 0.45 * np.clip(image28, 0, 1)
    rgb = np.stack([np.maximum(base, heat), base + heat * (heat > 0.5) * 0.8, base * (1 - heat)], axis=-1)
    return enlarge(np.clip(rgb, 0, 1))


def signed_image(weights: np.ndarray, cell: int = 4) -> np.ndarray:
    """A weight image: positive red, negative blue, zero white, scaled by its own largest |value|."""
    scale = float(np.abs(weights).max()) or 1.0
    w = np.clip(weights / scale, -1, 1)
    rgb = np.stack([1 - np.clip(-w, 0, 1), 1 - np.abs(w), 1 - np.clip(w, 0, 1)], axis=-1)
    pixels = (rgb * 255).astype(np.uint8)
    return upscale(pixels, cell)


def weight_grid(weights: np.ndarray, columns: int = 8, cell: int = 3, gap: int = 2) -> np.ndarray:
    """[units, 28, 28] incoming weights → one picture, `columns` units a row, each red/blue."""
    tiles = [signed_image(w, cell) for w in weights]
    side = 28 * cell
    rows = -(-len(tiles) // columns)
    grid = np.full((rows * (side + gap) + gap, columns * (side + gap) + gap, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        grid[gap + r * (side + gap):gap + r * (side + gap) + side, gap + c * (side + gap):gap + c * (side + gap) + side] = tile
    return grid


def pipeline_figure(image) -> Image.Image:
    """The preprocessing stages of one drawing, side by side, each shown at the same height."""
    stages: dict = {}
    final = to_mnist(image, stages)
    canvas = np.asarray(image.convert("L")) if isinstance(image, Image.Image) else image
    panels = [("your drawing", canvas / 255.0, True), ("ink, cropped", stages["crop"], False),
              ("strokes normalised", stages["strokes"], False), ("longer side to 20 px", stages["box"], False),
              ("centred by mass in 28x28", final, False)]
    size, gap, caption = 180, 14, 22
    figure = Image.new("RGB", (len(panels) * (size + gap) + gap, size + caption + gap), "white")
    draw = ImageDraw.Draw(figure)
    for i, (title, array, is_canvas) in enumerate(panels):
        pixels = (np.clip(array, 0, 1) * 255).astype(np.uint8)
        panel = Image.fromarray(pixels)
        h, w = pixels.shape
        scale = size / max(h, w)
        resample = Image.NEAREST if max(h, w) <= 40 else Image.BILINEAR
        panel = panel.resize((max(1, round(w * scale)), max(1, round(h * scale))), resample)
        box = Image.new("RGB", (size, size), (235, 235, 235) if is_canvas else (0, 0, 0))
        box.paste(panel, ((size - panel.width) // 2, (size - panel.height) // 2))
        x = gap + i * (size + gap)
        figure.paste(box, (x, gap))
        draw.text((x, gap + size + 4), title, fill=(30, 30, 30))
    return figure


def confusion_image(confusion: np.ndarray | None) -> Image.Image | None:
    if confusion is None:
        return None
    cell, margin = 44, 40
    size = margin + 10 * cell
    image = Image.new("RGB", (size, size + 24), "white")
    draw = ImageDraw.Draw(image)
    rows = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    for t in range(10):
        draw.text((12, margin + t * cell + cell // 2 - 6), str(t), fill="black")
        draw.text((margin + t * cell + cell // 2 - 3, 12), str(t), fill="black")
        for p in range(10):
            share = rows[t, p]
            shade = int(255 - 200 * (share if t == p else min(1.0, share * 20)))
            colour = (shade, shade, 255) if t == p else (255, shade, shade)
            x, y = margin + p * cell, margin + t * cell
            draw.rectangle((x, y, x + cell - 2, y + cell - 2), fill=colour)
            draw.text((x + 6, y + cell // 2 - 6), str(int(confusion[t, p])), fill="black")
    draw.text((margin, size + 6), "Confusion matrix on MNIST test. Rows: true digit, columns: predicted",
              fill=(90, 90, 90))
    return image


def grid_shape(units: int) -> tuple[int, int]:
    """Rows × columns near 3:4 that hold `units` cells (1,200 → 30 × 40)."""
    columns = max(1, int(np.ceil(np.sqrt(units * 4 / 3))))
    return int(np.ceil(units / columns)), columns


def activation_grid(values: np.ndarray, cell: int = 8) -> np.ndarray:
    """A hidden layer's activations as a heat grid: black (silent) → red → yellow (strongest);
    cells past the last unit are grey."""
    rows, columns = grid_shape(len(values))
    heat = np.full(rows * columns, np.nan, np.float32)
    top = float(values.max())
    heat[:len(values)] = np.clip(values / top, 0, 1) if top > 0 else 0
    heat = heat.reshape(rows, columns)
    rgb = np.stack([np.clip(heat * 2, 0, 1), np.clip(heat * 2 - 1, 0, 1), np.zeros_like(heat)], axis=-1)
    rgb[np.isnan(heat)] = 0.5
    pixels = upscale((rgb * 255).astype(np.uint8), cell)
    pixels[::cell, :, :] = 40  # a faint grid between units
    pixels[:, ::cell, :] = 40
    return pixels
