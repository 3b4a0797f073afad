"""Fixtures of the matching tests: synthetic hashes and images only (numpy noise)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest

from reports.matching.index_store import MATCHER


def random_pdq(rng: np.random.Generator) -> str:
    return rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()


def flip(pdq: str, bits: int, rng: np.random.Generator | None = None) -> str:
    """``pdq`` with ``bits`` distinct bits flipped (the first ones, or random ones)."""
    value = int(pdq, 16)
    positions = range(bits) if rng is None else rng.choice(256, bits, replace=False)
    for b in positions:
        value ^= 1 << int(b)
    return f"{value:064x}"


def noise_png(seed: int, size: int = 64) -> bytes:
    """A synthetic image: smooth random noise (so PDQ has detail and a good quality)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((size, size), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261202)


@pytest.fixture(autouse=True)
def _index(settings, tmp_path) -> Iterator[None]:
    """Each test its own index directory, no delta caching: a hash added is seen at once."""
    settings.LIAISON_MATCH_INDEX_DIR = str(tmp_path / "index")
    settings.LIAISON_MATCH_DELTA_SECONDS = 0
    settings.MEDIA_ROOT = str(tmp_path / "media")
    from reports.matching import matching

    matching._RADIUS_CACHE["at"] = -1.0
    MATCHER.reset()
    yield
    MATCHER.reset()
