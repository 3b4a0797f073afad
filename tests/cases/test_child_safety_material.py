"""Finding 8 of the security review: may an auditor open child-safety material?

Decided (docs/decisions/0031-auditors-and-child-safety-material.md): by default no. An
auditor sees that the material exists and who opened it (the case page and the access
log); the files themselves only with LIAISON_AUDITOR_READS_CHILD_SAFETY_MATERIAL on.
18 USC 2258B limits who handles the material, so the narrower answer is the default.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.services.cases import attachment_add
from portal.audit.models import AccessEvent
from tests.cases.documents import pdf_bytes, upload
from tests.cases.factories import CaseFactory
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def material(child_safety):
    case = CaseFactory(child_safety=True)
    attachment = attachment_add(
        case=case, actor=child_safety, file=upload("evidence.pdf", pdf_bytes("Material"))
    )
    return case, attachment


def download(user, case, attachment):
    url = reverse("cases:attachment_download", args=[case.reference, attachment.pk])
    return verified_client(user).get(url)


def test_an_auditor_does_not_download_child_safety_material_by_default(auditor, material):
    case, attachment = material
    response = download(auditor, case, attachment)
    assert response.status_code == 403
    assert AccessEvent.objects.filter(
        actor=auditor, action="permission_denied", case_reference=case.reference
    ).exists()
    assert not AccessEvent.objects.filter(actor=auditor, action="download").exists()
    # the case itself (that the material exists, its history) stays open to the auditor
    page = verified_client(auditor).get(reverse("cases:detail", args=[case.reference]))
    assert page.status_code == 200


def test_the_analyst_who_works_the_case_downloads_it(child_safety, material):
    case, attachment = material
    assert download(child_safety, case, attachment).status_code == 200


def test_the_setting_lets_auditors_read_the_material_logged(auditor, material, settings):
    settings.LIAISON_AUDITOR_READS_CHILD_SAFETY_MATERIAL = True
    case, attachment = material
    assert download(auditor, case, attachment).status_code == 200
    assert AccessEvent.objects.filter(actor=auditor, action="download").exists()
