"""Identities: users, agencies and their officers, teams of staff, second factors."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from portal.accounts.zones import validate_time_zone

if TYPE_CHECKING:
    from portal.accounts.roles import Role


def _new_security_stamp() -> str:
    return secrets.token_hex(16)


class User(AbstractUser):
    """A person who signs in: staff of the provider or a law-enforcement officer.

    ``security_stamp`` changes whenever the password or a second factor changes; it is part
    of the session hash, so every other session of the user ends at that moment.
    """

    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("IANA zone used to show times, e.g. Europe/Paris. Empty: the team's zone."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("Language of the pages and e-mails. Empty: the browser's language."),
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    lock_released_at = models.DateTimeField(_("lock released at"), null=True, blank=True)
    security_stamp = models.CharField(max_length=32, default=_new_security_stamp, editable=False)
    is_system_actor = models.BooleanField(
        _("system actor"),
        default=False,
        editable=False,
        help_text=_("A named service identity (a task or machine caller); it cannot sign in."),
    )

    # Not a field: django_otp's OTPMiddleware attaches is_verified() to ``request.user``
    # (True once the second factor passed). Users loaded from the database do not have it.
    is_verified: Callable[[], bool]
    # Not a field either: portal.accounts.roles caches the user's roles here, per instance.
    _liaison_roles: frozenset[Role]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_unique_ci",
            )
        ]

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        key_salt = "portal.accounts.User.session_auth_hash"
        return salted_hmac(
            key_salt, self.password + self.security_stamp, secret=secret, algorithm="sha256"
        ).hexdigest()

    @property
    def is_locked(self) -> bool:
        """The lock is in force now; it ends by itself after the lockout period
        (``portal.accounts.lockout``, the one place of the rule)."""
        from portal.accounts.lockout import user_lock_active

        return user_lock_active(self)


class LoginFailure(models.Model):
    """One failed password or second-factor attempt, counted by the lockout rule."""

    class Kind(models.TextChoices):
        PASSWORD = "password", _("password")
        SECOND_FACTOR = "second_factor", _("second factor")

    user = models.ForeignKey(User, null=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} failure at {self.at:%Y-%m-%d %H:%M:%S}"


class Agency(models.Model):
    """A law-enforcement agency whose officers may submit requests.

    Officers must sign up from one of ``email_domains``; ``directory_phone`` is a number taken
    from an independent directory (never from the applicant) for call-back verification.
    """

    class Kind(models.TextChoices):
        FEDERAL = "federal", _("federal / national")
        STATE = "state", _("state / regional")
        LOCAL = "local", _("local")
        FOREIGN = "foreign", _("foreign")
        INTERNATIONAL = "international", _("international body")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")

    name = models.CharField(_("name"), max_length=200, unique=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2"))
    subdivision = models.CharField(
        _("subdivision"), max_length=6, blank=True, help_text=_("ISO 3166-2, e.g. US-CA")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.LOCAL)
    email_domains = ArrayField(
        models.CharField(max_length=253), default=list, blank=True, verbose_name=_("domains")
    )
    directory_phone = models.CharField(_("directory phone"), max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Officer(models.Model):
    """A law-enforcement user's profile: which agency they act for and how we verified them."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("applied")
        VERIFIED = "verified", _("verified")
        SUSPENDED = "suspended", _("suspended")
        REJECTED = "rejected", _("rejected")

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="officer")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="officers")
    badge_number = models.CharField(_("badge or ID number"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPLIED)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verification_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.agency})"


class Team(models.Model):
    """Staff who own cases together (a region, or child safety). Cases belong to one team."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(unique=True)
    is_default = models.BooleanField(default=False)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_(
            "IANA zone its members see times in unless they choose their own, "
            "e.g. Europe/Dublin. Empty: the business zone."
        ),
    )
    members = models.ManyToManyField(User, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_team"
            )
        ]

    def __str__(self) -> str:
        return self.name


def _backup_code_digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


class BackupCodeDevice(Device):
    """Single-use backup codes, stored as salted SHA-256 digests, never in plaintext.

    Codes carry 50 bits of randomness each, so a fast hash is enough: there is nothing to
    brute-force offline that a slow hash would protect, and checking ten codes stays cheap.
    """

    def verify_token(self, token: str) -> bool:
        code = normalise_backup_code(token)
        if not code:
            return False
        for stored in self.codes.all():
            if hmac.compare_digest(stored.digest, _backup_code_digest(stored.salt, code)):
                deleted, _ = BackupCode.objects.filter(pk=stored.pk).delete()
                return deleted == 1
        return False


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    salt = models.CharField(max_length=32)
    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return "backup code (hashed)"

    @classmethod
    def for_code(cls, device: BackupCodeDevice, code: str) -> BackupCode:
        salt = secrets.token_hex(16)
        return cls(device=device, salt=salt, digest=_backup_code_digest(salt, code))


BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def normalise_backup_code(token: str) -> str:
    """Backup codes are shown as ``xxxxx-xxxxx``; accept them with or without the dash."""
    cleaned = "".join(ch for ch in token.lower() if ch.isalnum())
    return cleaned if len(cleaned) == 10 else ""


class ApiToken(models.Model):
    """A bearer token an officer's software uses to call the API.

    Only a SHA-256 digest of the token is stored; the plaintext is shown once, when it is
    issued (see ``docs/decisions`` on token hashing). ``prefix`` is a public, random handle:
    it finds the row with one index lookup and names the token in lists and logs.
    """

    class Scope(models.TextChoices):
        READ = "read", _("read: list and track requests")
        SUBMIT = "submit", _("submit: file requests and act on them")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(
        models.CharField(max_length=16, choices=Scope.choices), verbose_name=_("scopes")
    )
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="accounts_apitoken_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=models.Q(scopes__len__gt=0), name="accounts_apitoken_has_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (lia_{self.prefix}_…)"

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at <= timezone.now()


class RoleGrant(models.Model):
    """A request to give someone a sensitive role or team, waiting for a second person.

    Roles that read child-safety material or the access log, or that grant roles, are not
    given by one administrator alone (NIST 800-53 AC-5, separation of duties): the admin
    records the request, another administrator approves it, and only then is it applied
    (``portal.accounts.grants``). Each step is in the access log.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a second approval")
        APPROVED = "approved", _("approved and applied")
        REJECTED = "rejected", _("rejected")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=32, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="") | models.Q(team__isnull=False),
                name="accounts_rolegrant_names_role_or_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role or self.team} for {self.user} ({self.status})"
