"""Structured logs: one JSON object a line, with the request id, and no personal data.

``LOG_FORMAT=json`` (the default when ``LIAISON_ENV=production``) sends every record
through ``JsonFormatter``. ``ContextFilter`` adds the id of the request being served (the
one in the ``X-Request-ID`` response header and in the access log's events, so a log line
leads to the audit trail without naming anyone) or of the Celery task being run.

Log calls in this code base pass ids, never names, addresses or free text; as a second
line of defence the formatter masks what still looks like personal data or a secret in
messages and tracebacks: e-mail addresses, IP addresses, bearer tokens, passwords in URLs
and ``password=``/``token=``/``secret=`` pairs (database errors quote the values of the
row they refused, for instance).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from datetime import UTC, datetime

_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
    (re.compile(r"(?i)\b(\w+://)[^/\s:@]+:[^/\s@]+@"), r"\1[redacted]@"),
    (
        re.compile(r"(?i)\b(password|passwd|secret|token|api_key|otp)(\s*[=:]\s*)[^\s,;&)]+"),
        r"\1\2[redacted]",
    ),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "[ip]"),
)
# IPv6 candidates: hex and colons; masked only when they parse as an address, so a time
# such as 12:30:45 stays.
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")


def _ipv6_mask(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group(0))
    except ValueError:
        return match.group(0)
    return "[ip]"


def redact(text: str) -> str:
    """Mask what looks like personal data or a secret (see the module doc)."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return _IPV6_CANDIDATE.sub(_ipv6_mask, text)


class ContextFilter(logging.Filter):
    """Put the current request id (or Celery task id) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id()
        if not hasattr(record, "task_id"):
            record.task_id = _task_id()
        return True


def _request_id() -> str:
    from portal.audit.context import request_audit_current

    state = request_audit_current()
    if state is None:
        return ""
    return str(getattr(state.request, "request_id", "") or "")


def _task_id() -> str:
    try:
        from celery import current_task
    except ImportError:  # pragma: no cover - celery is a dependency
        return ""
    request = getattr(current_task, "request", None)
    return str(getattr(request, "id", "") or "") if current_task else ""


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", "task_id", "exception"}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in ("request_id", "task_id"):
            value = getattr(record, key, "")
            if value:
                entry[key] = str(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """The development format, with the same masking and the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
