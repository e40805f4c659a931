"""Colour contrast by WCAG 2.1 (success criterion 1.4.3, level AA): pure functions.

The relative luminance of an sRGB colour is ``0.2126 R + 0.7152 G + 0.0722 B`` of its linear
channels (each ``c / 12.92`` up to 0.03928, else ``((c + 0.055) / 1.055) ** 2.4``); the contrast
ratio of two colours is ``(L1 + 0.05) / (L2 + 0.05)`` with L1 the lighter. Text needs at least
:data:`AA` (4.5:1).
"""

from __future__ import annotations

import re

AA = 4.5
"""The least contrast ratio of normal text (WCAG 2.1 AA)."""
HEX = re.compile(r"#[0-9a-fA-F]{6}")


def parse(colour: str) -> tuple[int, int, int]:
    """``"#rrggbb"`` → ``(r, g, b)``; ValueError for anything else."""
    if not isinstance(colour, str) or not HEX.fullmatch(colour):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """The relative luminance of ``colour`` (0 for black, 1 for white)."""
    r, g, b = parse(colour)
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def ratio(a: str, b: str) -> float:
    """The contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def passes(a: str, b: str, least: float = AA) -> bool:
    return ratio(a, b) >= least


def shown(value: float) -> str:
    """A ratio as people read it: rounded *down* to two decimals, so that a ratio just under
    4.5 never reads "4.50" (4.4999 → "4.49")."""
    return f"{int(value * 100) / 100:.2f}"
