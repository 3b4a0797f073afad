"""Demo data of known-image matching: one list whose entries are the hashes of a synthetic
image (smooth random noise, never real imagery), so a new user can see a match happen.

The image is written to ``var/demo/known-image-demo.png``; ``load_demo`` prints how to send
it to the match API. Loading again changes nothing (the import keeps existing entries).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

DEMO_LIST = "demo-known-images"
DEMO_SEED = 20261202


def demo_image() -> bytes:
    """A 256 x 256 PNG of smoothed noise from a fixed seed: detail enough for PDQ."""
    from PIL import Image

    rng = np.random.default_rng(DEMO_SEED)
    small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((256, 256), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def load_demo(context: dict[str, Any]) -> None:
    from reports.matching.imports import hash_list_import
    from reports.matching.index_store import pdq_index_build
    from reports.matching.matching import file_hashes
    from reports.matching.services import hash_list_ensure

    content = demo_image()
    path = Path(settings.VAR_DIR) / "demo" / "known-image-demo.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    hashes = file_hashes(content)
    hash_list, _created = hash_list_ensure(
        name=DEMO_LIST,
        actor=None,
        actor_label="demo",
        source="Liaison demo (synthetic image)",
        labels=["demo"],
    )
    rows = "md5,sha256,pdq,quality,label\n" + (
        f"{hashes['md5']},{hashes['sha256']},{hashes['pdq']},{hashes['pdq_quality']},demo\n"
    )
    hash_list_import(
        hash_list=hash_list,
        stream=io.StringIO(rows),
        file_format="csv",
        actor=None,
        actor_label="demo",
    )
    pdq_index_build()
    context.setdefault("hints", []).append(
        f"Known-image matching: `manage.py issue_service_token uploads --scopes match` prints a "
        f"credential; POST {path} as `file` to /api/v1/match/ with it (Authorization: Bearer) "
        f"to see a block verdict, a child-safety case and a CyberTipline draft."
    )
