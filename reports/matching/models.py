"""Known-image matching: hash lists and their entries, the allow-list, import jobs, service
credentials of the upload pipeline, and the items a match recorded.

Why one row per hash (not per file of the source list): a match names the one hash that
matched, re-import is idempotent on ``(list, hash_type, value)``, and the exact lookup of an
upload's MD5/SHA-256 is one btree probe over every active list. ADR 0020 has the reasoning.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User

PDQ_DEFAULT_THRESHOLD = 31  # PDQ's published recommendation (of 256 bits)
PDQ_MIN_QUALITY = 50  # hashes below this quality describe near-blank images: ignored
PDQ_MAX_THRESHOLD = 64


class HashType(models.TextChoices):
    MD5 = "md5", "MD5"
    SHA1 = "sha1", "SHA-1"
    SHA256 = "sha256", "SHA-256"
    PDQ = "pdq", "PDQ"


HEX_LENGTHS: dict[str, int] = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}


class Verdict(models.TextChoices):
    BLOCK = "block", _("block")
    REVIEW = "review", _("review")
    ALLOW = "allow", _("allow")


class HashList(models.Model):
    """One list of known material: NCMEC's, an industry partner's, or the provider's own.

    ``verdict`` is what a hit on it means (a partner's unreviewed list may only send to
    review); ``pdq_threshold`` is its own PDQ distance; an inactive list is never matched.
    ``revision`` grows with every change of its entries or settings, so a matcher process
    sees in one query whether what it holds is current.
    """

    name = models.SlugField(_("name"), max_length=64, unique=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    version = models.CharField(_("version"), max_length=64, blank=True)
    description = models.TextField(_("description"), blank=True)
    labels = ArrayField(
        models.CharField(max_length=32), default=list, blank=True, verbose_name=_("labels")
    )
    pdq_threshold = models.PositiveSmallIntegerField(
        _("PDQ distance threshold"),
        default=PDQ_DEFAULT_THRESHOLD,
        validators=[MinValueValidator(0), MaxValueValidator(PDQ_MAX_THRESHOLD)],
    )
    verdict = models.CharField(
        _("verdict on a hit"),
        max_length=8,
        choices=[(Verdict.BLOCK, Verdict.BLOCK.label), (Verdict.REVIEW, Verdict.REVIEW.label)],
        default=Verdict.BLOCK,
    )
    active = models.BooleanField(_("active"), default=True)
    revision = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pdq_threshold__lte=PDQ_MAX_THRESHOLD),
                name="matching_hashlist_threshold_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class HashEntry(models.Model):
    """One hash of a list. ``value`` is lowercase hex; ``quality`` only for PDQ (0-100)."""

    hash_list = models.ForeignKey(HashList, on_delete=models.CASCADE, related_name="entries")
    hash_type = models.CharField(max_length=8, choices=HashType.choices)
    value = models.CharField(max_length=64)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    label = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hash_list", "hash_type", "value"], name="matching_entry_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(quality__isnull=True) | models.Q(quality__lte=100),
                name="matching_entry_quality_range",
            ),
        ]
        indexes = [
            # The exact lookup of an upload's hash across every list.
            models.Index(fields=["value", "hash_type"], name="matching_entry_value"),
        ]

    def __str__(self) -> str:
        return f"{self.hash_type}:{self.value}"


class AllowedHash(models.Model):
    """A hash reviewed as a false positive: an upload with it is never blocked for it.

    With ``entry`` set, only that list entry is silenced (the upload still matches others);
    without, the hash matches nothing. PDQ values silence uploads within
    ``ALLOW_PDQ_RADIUS`` bits (a re-encoded copy of the same harmless image).
    """

    hash_type = models.CharField(max_length=8, choices=HashType.choices)
    value = models.CharField(max_length=64)
    entry = models.ForeignKey(
        HashEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="allowed"
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["value", "hash_type"], name="matching_allowed_value")]

    def __str__(self) -> str:
        return f"allowed {self.hash_type}:{self.value}"


class ImportJob(models.Model):
    """One import of a file into a list, run by a Celery worker for large files.

    Progress is written outside the import's transaction (it commits as it goes), the rows
    themselves inside one transaction: a failed job leaves the list as it was.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        PARSING = "parsing", _("checking rows")
        MERGING = "merging", _("writing")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    hash_list = models.ForeignKey(HashList, on_delete=models.CASCADE, related_name="imports")
    file = models.FileField(upload_to="matching/imports/", blank=True)
    file_name = models.CharField(max_length=200)
    file_format = models.CharField(max_length=8, default="auto")
    replace = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    added = models.PositiveBigIntegerField(default=0)
    updated = models.PositiveBigIntegerField(default=0)
    kept = models.PositiveBigIntegerField(default=0)
    removed = models.PositiveBigIntegerField(default=0)
    refused = models.PositiveBigIntegerField(default=0)
    refused_lines = models.JSONField(default=list, blank=True)  # first 1,000: [line, why]
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(100 * self.bytes_done / self.bytes_total))


class ServiceCredential(models.Model):
    """A bearer credential of a machine caller (the upload pipeline), not of a person.

    Distinct from officer API tokens on purpose: its own marker (``lis_``), its own table
    and its own authentication class, used only by the endpoints of its scopes. An officer
    token is not even parsed by the match endpoint, and this credential is refused by every
    officer endpoint (their authentication only knows ``lia_`` tokens). SHA-256 at rest,
    like the officer tokens (ADR 0006).
    """

    class Scope(models.TextChoices):
        MATCH = "match", _("match: ask whether uploads match known material")

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(models.CharField(max_length=16, choices=Scope.choices))
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scopes__len__gt=0), name="matching_credential_has_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (lis_{self.prefix}_…)"


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("awaiting review")
    CONFIRMED = "confirmed", _("confirmed")
    FALSE_POSITIVE = "false_positive", _("false positive")


class MatchedItem(models.Model):
    """An upload that matched (verdict block or review): its hashes, uploader, capture
    facts and, when the pipeline sent it, the file. Allowed uploads are never stored.

    ``file_viewed_by_esp`` stays false until an analyst opened the file in the review
    (United States v. Wilson, 9th Cir. 2021: only files a person at the provider viewed
    may be reported as viewed). Kept at least ``preserve_until`` (18 USC 2258A(h), as
    amended by the REPORT Act 2024: one year).
    """

    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default="pending")
    account_id = models.CharField(max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    client = models.CharField(max_length=200, blank=True)
    upload_id = models.CharField(max_length=200, blank=True)
    md5 = models.CharField(max_length=32, blank=True)
    sha1 = models.CharField(max_length=40, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    pdq = models.CharField(max_length=64, blank=True)
    pdq_quality = models.PositiveSmallIntegerField(null=True, blank=True)
    file = models.FileField(upload_to="matching/items/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_content_type = models.CharField(max_length=100, blank=True)
    flood_held = models.BooleanField(default=False)
    case = models.ForeignKey(
        "cases.Case", null=True, on_delete=models.PROTECT, related_name="matched_items"
    )
    credential = models.ForeignKey(
        ServiceCredential, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_viewed_by_esp = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    preserve_until = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account_id", "created_at"], name="matching_item_acct")]

    def __str__(self) -> str:
        return f"item {self.pk} ({self.verdict})"


class MatchHit(models.Model):
    """One entry an item matched, with the matched hash and the PDQ distance."""

    item = models.ForeignKey(MatchedItem, on_delete=models.CASCADE, related_name="hits")
    entry = models.ForeignKey(HashEntry, null=True, on_delete=models.SET_NULL, related_name="+")
    list_name = models.CharField(max_length=64)
    label = models.CharField(max_length=32, blank=True)
    hash_type = models.CharField(max_length=8, choices=HashType.choices)
    value = models.CharField(max_length=64)
    distance = models.PositiveSmallIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["entry", "created_at"], name="matching_hit_entry")]

    def __str__(self) -> str:
        return f"{self.list_name} {self.hash_type} hit"


class UploaderCase(models.Model):
    """The child-safety case open for one uploader: hits within the window join it, so an
    account uploading fifty known files is one case with fifty items, not fifty cases."""

    account_id = models.CharField(max_length=200)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()
    last_hit_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["account_id", "-last_hit_at"], name="matching_upl_acct")]

    def __str__(self) -> str:
        return f"{self.account_id} -> case {self.case_id}"
