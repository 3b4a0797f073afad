"""The soak's officer clients (bench/soak.py): asyncio + aiohttp, one token each.

Each client files requests (multipart, with an ``Idempotency-Key``), polls its agency's
list and one of its requests, and posts messages on its requests, with no pause between
operations: the server is the bottleneck, as it would be at a peak. A connection error or
a 503 is retried (a submission with the same key, so a retry can never file twice) until
it succeeds or the drain time is over; what each answer was is counted in ``LoadStats``
and judged by bench/soak_checks.py.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from typing import Any

import aiohttp
from soak_checks import LoadStats, answer_kind

RETRY_PAUSE = 0.5


class Officer:
    """One officer's software: its token, its requests' references, its counters."""

    def __init__(
        self, number: int, token: str, base: str, stats: LoadStats, document: bytes
    ) -> None:
        self.number, self.token, self.base, self.stats = number, token, base, stats
        self.document = document
        self.references: list[str] = []
        self.random = random.Random(number)
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(
        self, session: aiohttp.ClientSession, op: str, method: str, path: str, **kw: Any
    ) -> tuple[int, Any]:
        """One operation, retried through fault answers; (status, JSON body) of its end."""
        give_up = time.monotonic() + 120  # bounded whatever happens; the soak's timeout rules
        make_body = kw.pop("body", None)
        while True:
            self.stats.tried += 1
            started = time.monotonic()
            status: int | None = None
            try:
                data = make_body() if make_body else None
                async with session.request(
                    method,
                    self.base + path,
                    headers={**self.headers, **kw.get("headers", {})},
                    data=data,
                    json=kw.get("json"),
                ) as answer:
                    status = answer.status
                    text = await answer.text()
                    retry_after = answer.headers.get("Retry-After", "1")
            except (TimeoutError, aiohttp.ClientError) as exc:
                text, retry_after = type(exc).__name__, "0"
            kind = answer_kind(status)
            now = time.monotonic()
            if kind == "ok":
                self.stats.answered(op, now - started)
                return status or 0, json.loads(text) if text else None
            if kind == "fault":
                self.stats.fault_answers.append((now, op, "503" if status else "connection"))
            elif kind == "throttled":
                self.stats.throttled += 1
            else:
                self.stats.failures.append((now, op, f"HTTP {status}: {text[:300]}"))
                if status is not None and status < 500:
                    return status, None  # a refusal is final; retrying changes nothing
            if now > give_up:
                return status or 0, None
            pause = min(float(retry_after) if retry_after.isdigit() else 1.0, 2.0)
            await asyncio.sleep(max(pause, RETRY_PAUSE))

    async def submit(self, session: aiohttp.ClientSession) -> None:
        key = f"soak-{self.number}-{uuid.uuid4()}"
        self.stats.submissions_tried.add(key)
        serial = len(self.references)

        def body() -> aiohttp.FormData:
            form = aiohttp.FormData()
            form.add_field("kind", "us_subpoena")
            form.add_field("jurisdiction", "US-CA")
            form.add_field("agency_case_number", f"SOAK-{self.number}-{serial}")
            form.add_field(
                "targets",
                json.dumps(
                    [{"type": "email", "value": f"subject{self.number}x{serial}@example.com"}]
                ),
                content_type="application/json",
            )
            form.add_field("data_categories", "subscriber")
            form.add_field(
                "legal_process", self.document, filename="subpoena.pdf",
                content_type="application/pdf",
            )  # fmt: skip
            return form

        status, data = await self.call(
            session, "submit", "POST", "/api/v1/requests/",
            body=body, headers={"Idempotency-Key": key},
        )  # fmt: skip
        if status == 201 and data:
            self.stats.accepted[key] = data["reference"]
            self.references.append(data["reference"])

    async def poll(self, session: aiohttp.ClientSession) -> None:
        await self.call(session, "list", "GET", "/api/v1/requests/")
        reference = self.random.choice(self.references)
        await self.call(session, "detail", "GET", f"/api/v1/requests/{reference}/")

    async def message(self, session: aiohttp.ClientSession) -> None:
        reference = self.random.choice(self.references)
        await self.call(
            session, "message", "POST", f"/api/v1/requests/{reference}/messages/",
            json={"body": f"Soak message from officer {self.number}: any update?"},
        )  # fmt: skip

    async def run(self, session: aiohttp.ClientSession, until: float) -> None:
        while time.monotonic() < until:
            draw = self.random.random()
            if not self.references or draw < 0.25:
                await self.submit(session)
            elif draw < 0.75:
                await self.poll(session)
            else:
                await self.message(session)


async def load_run(
    *, base: str, tokens: list[str], seconds: float, stats: LoadStats, document: bytes
) -> None:
    """All clients at once for ``seconds``; returns when every client has finished."""
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=len(tokens), limit_per_host=len(tokens))
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        until = time.monotonic() + seconds
        officers = [Officer(n, t, base, stats, document) for n, t in enumerate(tokens)]
        await asyncio.gather(*(o.run(session, until) for o in officers))
