"""Small builders shared by the CyberTipline tests (fictitious data only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from reports.cybertip.models import IncidentType, PersonRole
from reports.cybertip.services import DetailInput, FileInput, PersonInput, ReportInput


def report_input(**overrides: Any) -> ReportInput:
    values: dict[str, Any] = {
        "incident_type": IncidentType.CHILD_PORNOGRAPHY,
        "incident_at": timezone.now() - timedelta(hours=3),
        "incident_time_zone": "America/New_York",
        "persons": [
            PersonInput(
                role=PersonRole.REPORTED,
                esp_identifier="100031337",
                screen_name="example_user",
                emails=["reported@example.com"],
                ip_events=[
                    {"ip": "203.0.113.9", "event": "Upload", "at": "2026-11-30T10:00:00+00:00"}
                ],
            )
        ],
        "details": [DetailInput(kind="webPageIncident", urls=["https://example.com/p/1"])],
    }
    values.update(overrides)
    return ReportInput(**values)


def png_bytes(seed: int = 0) -> bytes:
    """A synthetic 'image' (not a real picture): a PNG signature and distinct bytes."""
    return b"\x89PNG\r\n\x1a\n" + f"synthetic test file {seed}".encode() * 20


def file_input(seed: int = 0, **overrides: Any) -> FileInput:
    values: dict[str, Any] = {
        "name": f"upload-{seed}.png",
        "content": png_bytes(seed),
        "content_type": "image/png",
        "uploaded_to_esp_at": timezone.now() - timedelta(hours=4),
        "uploader_ip": "198.51.100.7",
    }
    values.update(overrides)
    return FileInput(**values)
