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


def noise_png(seed: int, size: int = 256) -> bytes:
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
    from reports.matching import credentials, matching

    matching._RADIUS_CACHE["at"] = -1.0
    credentials._ACTOR_CACHE.clear()  # the actor's row goes with each test's transaction
    MATCHER.reset()
    yield
    MATCHER.reset()


@pytest.fixture
def child_safety_team(db):
    """The child-safety team, where child-safety cases are routed (as in production)."""
    from cases.models import CaseType, RoutingRule
    from portal.accounts.models import Team

    team, _ = Team.objects.get_or_create(slug="child-safety", defaults={"name": "Child safety"})
    RoutingRule.objects.create(position=1, case_type=CaseType.CHILD_SAFETY, team=team)
    return team


@pytest.fixture
def analyst(db, child_safety_team):
    """A child-safety analyst of the child-safety team."""
    from portal.accounts.roles import Role
    from tests.factories import UserFactory

    user = UserFactory(username="cs-analyst", roles=[Role.CHILD_SAFETY])
    child_safety_team.members.add(user)
    return user


def make_list(name: str = "ncmec", **kwargs):
    from reports.matching.services import hash_list_ensure

    hash_list, _ = hash_list_ensure(name=name, actor=None, actor_label="test", **kwargs)
    return hash_list


def add_entries(hash_list, rows: list[tuple[str, str, int | None, str]]) -> None:
    """Entries through the real import path (``hash_list_import``)."""
    import io

    from reports.matching import formats
    from reports.matching.imports import hash_list_import

    out = io.StringIO()
    formats.rows_write(out, rows, file_format="csv")
    out.seek(0)
    hash_list_import(
        hash_list=hash_list, stream=out, file_format="csv", actor=None, actor_label="test"
    )
