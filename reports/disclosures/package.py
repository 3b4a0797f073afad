"""Building the package of a released disclosure: CSV manifest, signed PDF, delivery ZIP.

``package_build`` is what the render task runs. It works in stages and stores each
stage's output (content-addressed, read-only, like every upload) before recording it, so
a worker killed half-way resumes at the first stage without output, and a second run of
a finished package does nothing. The ZIP is deterministic (fixed member times, sorted
members), so a rebuilt ZIP has the same SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.uploads import CheckedUpload, _make_read_only, upload_stored
from portal.accounts.system import system_actor
from portal.advisory import DISCLOSURE_PACKAGE, advisory_lock
from portal.audit.services import access_event_record
from reports.disclosures import document, signing
from reports.disclosures.apps import RENDERER
from reports.disclosures.models import (
    Disclosure,
    DisclosureKind,
    DisclosurePackage,
    PackageStatus,
)

FOLDER = "disclosures/packages"
Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class BuildTimes:
    """Seconds spent per stage (the bench prints these). ``sign`` is everything a signature
    adds (pyHanko's signature and reading back its facts), ``sign_cpu`` the process's CPU
    seconds over it (the figure that holds on a busy machine)."""

    render: float = 0.0
    sign: float = 0.0
    pack: float = 0.0
    sign_cpu: float = 0.0


def _store_bytes(data: bytes, extension: str, content_type: str) -> tuple[str, str]:
    checked = CheckedUpload(
        name="package" + extension,
        content_type=content_type,
        extension=extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    with upload_stored(checked, folder=FOLDER) as name:
        return name, checked.sha256


def _store_path(path: str, sha256: str, extension: str) -> str:
    name = f"{FOLDER}/{sha256[:2]}/{sha256}{extension}"
    if not default_storage.exists(name):
        with open(path, "rb") as handle:
            saved = default_storage.save(name, File(handle))
        if saved != name:
            default_storage.delete(saved)
        else:
            _make_read_only(name)
    return name


def _update(package: DisclosurePackage, **changes: object) -> None:
    DisclosurePackage.objects.filter(pk=package.pk).exclude(status=PackageStatus.DONE).update(
        **changes
    )
    for key, value in changes.items():
        setattr(package, key, value)


def render_signed_pdf(
    disclosure: Disclosure,
    *,
    csv_sha256: str,
    tsa_url: str | None = None,
    level: str | None = None,
) -> tuple[document.RenderedPdf, bytes, signing.SignedFacts, BuildTimes]:
    """Render and sign; returns the unsigned render, the signed bytes, what the signature
    says (signer, times, level) and the durations."""
    import time

    rows = document.manifest_rows(disclosure)
    started = time.perf_counter()
    context = document.document_context(
        disclosure, rows, csv_sha256=csv_sha256, signed_on=timezone.now()
    )
    context["signer"] = signing.signer_name()
    rendered = document.document_pdf(
        document.document_html(context),
        attachments={document.MANIFEST_JSON: document.manifest_json(disclosure, rows, csv_sha256)},
    )
    rendered_at, cpu = time.perf_counter(), time.process_time()
    org = context["letterhead"]["name"]
    signed = signing.pdf_sign(
        rendered.data,
        box=rendered.box,
        reason=_("Business records certificate of %(org)s") % {"org": org},
        location=context["custodian"]["place"],
        tsa_url=tsa_url,
        level=level,
    )
    facts = signing.signed_facts(signed)
    times = BuildTimes(
        render=rendered_at - started,
        sign=time.perf_counter() - rendered_at,
        sign_cpu=time.process_time() - cpu,
    )
    return rendered, signed, facts, times


def zip_write(disclosure: Disclosure, package: DisclosurePackage, target: str) -> None:
    """The delivery ZIP: the signed PDF, the produced files, the CSV manifest if long."""
    released = (disclosure.released_at or timezone.now()).astimezone(dt.UTC)
    stamp = (
        max(released.year, 1980),
        released.month,
        released.day,
        released.hour,
        released.minute,
        released.second,
    )

    def add(archive: zipfile.ZipFile, arcname: str, stored: str) -> None:
        info = zipfile.ZipInfo(arcname, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o444 << 16
        with default_storage.open(stored, "rb") as source, archive.open(info, "w") as sink:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                sink.write(chunk)

    with zipfile.ZipFile(target, "w", compresslevel=6, allowZip64=True) as archive:
        add(archive, f"{disclosure.reference}.pdf", package.pdf_file.name or "")
        if package.csv_file:
            add(archive, document.MANIFEST_CSV, package.csv_file.name or "")
        # disclosure_id too: the related manager reads it on every row (a query each if deferred)
        for produced in disclosure.files.order_by("name").only("disclosure_id", "name", "file"):
            add(archive, f"files/{produced.name}", produced.file.name or "")


def package_build(
    *,
    disclosure_id: int,
    progress: Progress | None = None,
    tsa_url: str | None = None,
    level: str | None = None,
) -> tuple[DisclosurePackage, BuildTimes]:
    """Build (or finish building) the package of a released disclosure. Idempotent.

    One build at a time per package (a session advisory lock): a second run meanwhile (a
    redriven message, "Render again" while the first renders) returns the package as it
    stands, so two signed PDFs are never made and the ZIP always holds the recorded one.
    """
    with advisory_lock(DISCLOSURE_PACKAGE, disclosure_id) as alone:
        if not alone:
            return DisclosurePackage.objects.get(pk=disclosure_id), BuildTimes()
        return _build(disclosure_id, progress=progress, tsa_url=tsa_url, level=level)


def _build(
    disclosure_id: int, *, progress: Progress | None, tsa_url: str | None, level: str | None
) -> tuple[DisclosurePackage, BuildTimes]:
    import time

    package = DisclosurePackage.objects.select_related("disclosure__case").get(pk=disclosure_id)
    if package.status == PackageStatus.DONE:
        return package, BuildTimes()
    disclosure = Disclosure.objects.select_related(
        "case__agency", "case__submitting_officer__user", "process", "corrects"
    ).get(pk=disclosure_id)
    _update(
        package,
        status=PackageStatus.RENDERING,
        attempts=package.attempts + 1,
        error="",
        touched_at=timezone.now(),
    )

    def step(percent: int, stage: str) -> None:
        _update(package, progress=percent, stage=stage)
        if progress is not None:
            progress(percent, stage)

    times = BuildTimes()
    with translation.override("en"):
        if disclosure.kind == DisclosureKind.PRODUCTION and not package.csv_sha256:
            rows = document.manifest_rows(disclosure)
            if document.manifest_long(rows):
                step(5, "manifest")
                name, sha = _store_bytes(document.manifest_csv(rows), ".csv", "text/csv")
                _update(package, csv_file=name, csv_sha256=sha)
        if not package.pdf_sha256:
            step(10, "render")
            rendered, signed, facts, times = render_signed_pdf(
                disclosure, csv_sha256=package.csv_sha256, tsa_url=tsa_url, level=level
            )
            name, sha = _store_bytes(signed, ".pdf", "application/pdf")
            _update(
                package,
                pdf_file=name,
                pdf_sha256=sha,
                pdf_size=len(signed),
                pdf_pages=rendered.pages,
                signer=facts.signer,
                signed_at=facts.timestamp or facts.signed_at,
                timestamped=facts.timestamp is not None,
                level=facts.level,
            )
        if not package.zip_sha256:
            step(70, "zip")
            started = time.perf_counter()
            handle, path = tempfile.mkstemp(suffix=".zip")
            os.close(handle)
            try:
                zip_write(disclosure, package, path)
                digest = hashlib.sha256()
                with open(path, "rb") as source:
                    for chunk in iter(lambda: source.read(1 << 20), b""):
                        digest.update(chunk)
                sha = digest.hexdigest()
                name = _store_path(path, sha, ".zip")
                _update(package, zip_file=name, zip_sha256=sha, zip_size=os.path.getsize(path))
            finally:
                os.unlink(path)
            times = replace(times, pack=time.perf_counter() - started)
    with transaction.atomic():
        done = (
            DisclosurePackage.objects.filter(pk=package.pk, status=PackageStatus.RENDERING).update(
                status=PackageStatus.DONE, progress=100, stage="done", finished_at=timezone.now()
            )
            == 1
        )
        if done:
            access_event_record(
                action="disclosure_render",
                actor=system_actor(RENDERER),
                obj=disclosure,
                case_reference=disclosure.case.reference,
                details={"pdf_sha256": package.pdf_sha256, "zip_sha256": package.zip_sha256},
            )
            _notify_officer(disclosure)
    package.refresh_from_db()
    return package, times


def package_failed(*, disclosure_id: int, error: str) -> None:
    DisclosurePackage.objects.filter(pk=disclosure_id, status=PackageStatus.RENDERING).update(
        status=PackageStatus.FAILED, error=error[:300]
    )


def _notify_officer(disclosure: Disclosure) -> None:
    """Tell the submitting officer (in-app and e-mail) that the answer can be downloaded."""
    from portal.notifications.services import notification_send

    officer = disclosure.case.submitting_officer
    if officer is None:
        return
    user = officer.user
    with translation.override(getattr(user, "language", "") or None):
        notification_send(
            user=user,
            subject=_("Answer to request %(ref)s ready to download")
            % {"ref": disclosure.case.reference},
            body=_(
                "%(ref)s (%(kind)s) was released and signed. Download it from the request's "
                "page; the link works for %(days)s days."
            )
            % {
                "ref": disclosure.reference,
                "kind": disclosure.get_kind_display(),
                "days": _days(),
            },
            dedupe_key=f"disclosure-released:{disclosure.pk}",
            url=reverse("officer:request", args=[disclosure.case.reference]),
            kind="disclosure_released",
        )


def _days() -> int:
    from reports.disclosures.policy import download_days

    return download_days()
