"""The render task on a real Celery worker: queued when the release commits, renders, signs
(B-T against the project's TSA) and packs; a build that died half-way resumes."""

from __future__ import annotations

import pytest

from reports.disclosures import package as package_module
from reports.disclosures import validation
from reports.disclosures.models import DisclosurePackage, PackageStatus
from reports.disclosures.package import package_build
from tests.celery_harness import wait_for
from tests.reports.disclosures.helpers import content, released


@pytest.mark.django_db(transaction=True)
def test_release_renders_on_a_worker(
    celery_worker_factory, collecting_case, responder, legal, demo_pki, tsa_url, settings
):
    settings.LIAISON_DISCLOSURE_TSA_URL = tsa_url
    celery_worker_factory(
        settings={
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "LIAISON_DISCLOSURE_SIGNING_KEY": str(demo_pki / "signer.key"),
            "LIAISON_DISCLOSURE_SIGNING_CERT": str(demo_pki / "signer.crt"),
            "LIAISON_DISCLOSURE_SIGNING_CHAIN": [str(demo_pki / "ca.crt")],
            "LIAISON_DISCLOSURE_TRUST_ROOTS": [str(demo_pki / "ca.crt")],
            "LIAISON_DISCLOSURE_TSA_URL": tsa_url,
            "LIAISON_AUDIT_SEAL_ON_COMMIT": False,
        }
    )
    disclosure = released(collecting_case, responder, legal)  # commits: the task is queued
    done = wait_for(
        lambda: DisclosurePackage.objects.filter(
            pk=disclosure.pk, status__in=[PackageStatus.DONE, PackageStatus.FAILED]
        ).first(),
        timeout=90,
        what="the package rendered by the worker",
    )
    assert done.status == PackageStatus.DONE, f"the render failed: {done.error}"
    report = validation.pdf_validate(content(done.pdf_file))
    assert report.ok
    assert report.signatures[0].timestamp_trusted  # B-T: the worker used the TSA
    assert done.progress == 100


@pytest.mark.django_db
def test_a_build_that_died_after_signing_resumes_without_signing_again(
    collecting_case, responder, legal, monkeypatch
):
    disclosure = released(collecting_case, responder, legal)

    def worker_dies(*args, **kwargs):
        raise SystemExit("killed")  # what a SIGKILL between the stages leaves behind

    monkeypatch.setattr(package_module, "zip_write", worker_dies)
    with pytest.raises(SystemExit):
        package_build(disclosure_id=disclosure.pk)
    half = DisclosurePackage.objects.get(pk=disclosure.pk)
    assert half.status == PackageStatus.RENDERING
    assert half.pdf_sha256 and not half.zip_sha256
    monkeypatch.undo()
    finished, times = package_build(disclosure_id=disclosure.pk)
    assert finished.status == PackageStatus.DONE
    assert finished.pdf_sha256 == half.pdf_sha256  # the signed PDF was kept, not redone
    assert times.render == 0 and times.sign == 0
    assert finished.zip_sha256
