"""Output parts several request endpoints share, and the mapping of service errors to API
fields. Each view keeps its own input and top-level output serializers."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

from cases.models import (
    CaseStatus,
    DataCategory,
    DeadlineKind,
    DeadlineStatus,
    PreservationStatus,
    ProcessKind,
    TargetKind,
    TimelineKind,
)


class UtcDateTimeField(serializers.DateTimeField):
    """Times in the API are always UTC (``Z``), whatever the server's zone."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(value.astimezone(UTC) if value else value)


class DeadlineOutput(serializers.Serializer):
    """A deadline the rules computed for the request."""

    kind = serializers.ChoiceField(
        choices=DeadlineKind.choices,
        help_text="What is due: response, first_decision, preservation_expiry, ...",
    )
    due_at = UtcDateTimeField(help_text="When it is due (UTC).")
    rule = serializers.CharField(
        source="rule_id", help_text="The rule that computed it, e.g. us.subpoena."
    )
    citation = serializers.CharField(help_text="The statute, regulation or policy it applies.")
    explanation = serializers.CharField(
        source="explanation_text", help_text="How the due time was computed, in words."
    )
    status = serializers.ChoiceField(
        choices=DeadlineStatus.choices, help_text="open, met, missed or cancelled."
    )


class TimelineEventOutput(serializers.Serializer):
    """One public event of the request's history (internal notes are never shown)."""

    at = UtcDateTimeField(help_text="When it happened (UTC).")
    kind = serializers.ChoiceField(
        choices=TimelineKind.choices, help_text="What kind of event: intake, transition, ..."
    )
    text = serializers.CharField(help_text="What happened, in the language asked for.")


class PreservationOutput(serializers.Serializer):
    """A hold on the targets' records."""

    id = serializers.IntegerField(
        source="preservation.pk", help_text="Names the hold in extend-preservation."
    )
    status = serializers.ChoiceField(
        source="preservation.status",
        choices=PreservationStatus.choices,
        help_text="active, extended, released or superseded.",
    )
    starts_at = UtcDateTimeField(source="preservation.starts_at", help_text="Held since (UTC).")
    expires_at = UtcDateTimeField(
        source="preservation.expires_at", help_text="Released at this time unless extended (UTC)."
    )
    extensions = serializers.IntegerField(
        source="preservation.extension_count", help_text="Extensions granted so far."
    )
    extensions_allowed = serializers.IntegerField(
        help_text="Extensions the law allows for this kind of hold in all."
    )
    can_extend = serializers.BooleanField(
        help_text="Whether a renewed request (extend-preservation) can extend it now."
    )


class TargetOutput(serializers.Serializer):
    """One identifier the process names."""

    type = serializers.ChoiceField(
        source="kind", choices=TargetKind.choices, help_text="email, phone, username, ..."
    )
    value = serializers.CharField(help_text="As submitted.")
    normalised = serializers.CharField(help_text="The form the provider searches for.")


class ProcessOutput(serializers.Serializer):
    """The legal process the request was filed with."""

    kind = serializers.ChoiceField(choices=ProcessKind.choices, help_text="Kind of process.")
    jurisdiction = serializers.CharField(help_text="ISO 3166-2 subdivision or 3166-1 country.")
    issuing_authority = serializers.CharField(help_text="The court or authority that issued it.")
    authority_reference = serializers.CharField(help_text="Docket or reference of the issuer.")
    agency_case_number = serializers.CharField(help_text="The agency's own case number.")
    data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        help_text="The kinds of records asked for.",
    )
    date_from = serializers.DateField(allow_null=True, help_text="Records from this day.")
    date_to = serializers.DateField(allow_null=True, help_text="Records up to this day.")
    return_date = serializers.DateField(allow_null=True, help_text="Return date of the process.")
    ndo = serializers.BooleanField(help_text="Whether a non-disclosure order accompanies it.")
    ndo_expires_on = serializers.DateField(
        allow_null=True, help_text="When the non-disclosure order ends; null: no end date."
    )
    emergency = serializers.BooleanField(help_text="Filed as an emergency.")
    received_at = UtcDateTimeField(help_text="When the provider received it (UTC).")
    document_sha256 = serializers.CharField(
        help_text="SHA-256 of the stored document; empty when none was attached."
    )


STATUS_HELP = (
    "Where the request is: received, emergency_review, triage, needs_info, legal_review, "
    "approved, collecting, ready_to_disclose, disclosed, rejected, withdrawn, closed."
)


def status_field(**kwargs: Any) -> serializers.ChoiceField:
    kwargs.setdefault("help_text", STATUS_HELP)
    return serializers.ChoiceField(choices=CaseStatus.choices, **kwargs)


def raise_api_errors(error: DjangoValidationError, fields: dict[str, str | None]) -> None:
    """Raise a service's ``ValidationError`` as a DRF one, renaming its keys to the API's
    field names (``fields``; None: a message about the whole input)."""
    if not hasattr(error, "error_dict"):
        raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: error.messages}) from error
    out: dict[str, list[str]] = {}
    for key, messages in error.message_dict.items():
        name = fields.get(key, key) if key != NON_FIELD_ERRORS else None
        out.setdefault(name or api_settings.NON_FIELD_ERRORS_KEY, []).extend(messages)
    raise ValidationError(out) from error
