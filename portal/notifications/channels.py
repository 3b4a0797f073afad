"""The outside channels: e-mail and the Slack-compatible webhook.

Each sender either returns (the message left), raises :class:`DeliveryRejected` (the other
side said no for good: retrying cannot help) or raises a transient error listed in
``TRANSIENT_ERRORS`` (network, timeouts, SMTP 4xx, HTTP 5xx/429), which the task retries
with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from http.client import HTTPConnection, HTTPSConnection
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext as _

from portal.notifications import conf
from portal.notifications.models import Notification

SIGNATURE_HEADER = "X-Liaison-Signature"
TIMESTAMP_HEADER = "X-Liaison-Timestamp"
DELIVERY_HEADER = "X-Liaison-Delivery"


class DeliveryRejected(Exception):
    """The receiver refused the message permanently (SMTP 5xx, HTTP 4xx, no address)."""


class WebhookServerError(Exception):
    """The webhook receiver answered 5xx, 408 or 429: worth trying again later."""


# What the delivery task retries with backoff; anything else is recorded and left to the
# redrive sweep. ConnectionError and TimeoutError are OSErrors; listed for the reader.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPException,
    ConnectionError,
    TimeoutError,
    OSError,
    WebhookServerError,
)


def absolute_link(path: str) -> str:
    """Links leave the portal in e-mails and webhooks, so they need the public origin."""
    if not path:
        return ""
    base = getattr(settings, "LIAISON_BASE_URL", "").rstrip("/")
    return f"{base}{path}"


def email_send(notification: Notification, connection: Any = None) -> None:
    """Mail one notification to its user through Django's configured backend.

    The Message-ID is derived from the notification, so if a worker dies after the server
    accepted the message and the delivery is retried, mail systems and clients can tell the
    second copy is the same message. ``connection`` (an open mail connection) lets a batch
    send many messages over one SMTP session.
    """
    user = notification.user
    if not user.email:
        raise DeliveryRejected("user has no e-mail address")
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    lines = [notification.body] if notification.body else []
    link = absolute_link(notification.url)
    if link:
        lines.append(_("Open in Liaison: %(link)s") % {"link": link})
    lines.append("-- \n" + _("You receive this because you have an account on Liaison."))
    message = EmailMessage(
        subject=f"[Liaison] {notification.subject}",
        body="\n\n".join(lines),
        to=[user.email],
        headers={"Message-ID": f"<notification.{notification.public_id}@{domain}>"},
        connection=connection or get_connection(timeout=conf.email_timeout()),
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            raise DeliveryRejected(f"recipient refused: {codes}") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            raise DeliveryRejected(f"SMTP {exc.smtp_code}") from exc
        raise


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn treats ``<``, ``>`` and ``&`` as markup; escape them as it asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_body(notification: Notification) -> bytes:
    """The JSON body: ``{"text": ...}``, which Slack, Mattermost and Teams' connectors read.

    The body is the same bytes on every attempt, so receivers may deduplicate on the
    ``X-Liaison-Delivery`` header and compare bodies.
    """
    user = notification.user
    parts = [
        f"*{_slack_escape(notification.subject)}*"
        f" ({notification.get_severity_display()}, {_slack_escape(user.get_username())})"
    ]
    if notification.body:
        parts.append(_slack_escape(notification.body))
    link = absolute_link(notification.url)
    if link:
        parts.append(f"<{link}|{_slack_escape(_('Open in Liaison'))}>")
    payload = {"text": "\n".join(parts)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over ``"<timestamp>." + body``, hex; see docs/notifications.md.

    Signing the timestamp with the body lets a receiver refuse replays of an old request.
    """
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_send(notification: Notification) -> None:
    """POST the notification to ``LIAISON_WEBHOOK_URL``; 2xx is success.

    Redirects are not followed: a webhook that moved must be reconfigured, not guessed.
    """
    url = conf.webhook_url()
    if not url:
        raise DeliveryRejected("LIAISON_WEBHOOK_URL is not set")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise DeliveryRejected("LIAISON_WEBHOOK_URL must be an http(s) URL")
    body = webhook_body(notification)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Liaison-Webhook/1",
        DELIVERY_HEADER: str(notification.public_id),
        TIMESTAMP_HEADER: str(timestamp),
    }
    secret = conf.webhook_secret()
    if secret:
        headers[SIGNATURE_HEADER] = "sha256=" + webhook_signature(
            secret=secret, timestamp=timestamp, body=body
        )
    connection_class = HTTPSConnection if parts.scheme == "https" else HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=conf.webhook_timeout())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)
        status = response.status
    finally:
        connection.close()
    if 200 <= status < 300:
        return
    if status >= 500 or status in {408, 429}:
        raise WebhookServerError(f"HTTP {status}")
    raise DeliveryRejected(f"HTTP {status}")


SENDERS = {"email": email_send, "webhook": webhook_send}
