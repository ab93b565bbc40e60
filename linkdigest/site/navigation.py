"""Walking the site: the newer and older neighbour of each post in a newest-first list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def pair_neighbours(newest_first: Sequence[T]) -> list[tuple[T | None, T | None]]:
    """For each item, its (newer, older) neighbours; None at either end."""
    padded: list[T | None] = [None, *newest_first, None]
    return [(padded[i - 1], padded[i + 1]) for i in range(1, len(padded) - 1)]
