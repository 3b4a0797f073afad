"""The OpenAPI document and the interactive docs (issue 6)."""

from __future__ import annotations

import re

import lxml.html
import yaml
from django.contrib.staticfiles import finders
from django.test import Client

from portal.api.schema import PROBLEM_SCHEMA


def schema(client: Client) -> dict:
    answer = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert answer.status_code == 200
    return yaml.safe_load(answer.content)


def test_the_schema_is_public_and_describes_me_with_bearer_auth_and_problems(db):
    doc = schema(Client())

    assert doc["openapi"].startswith("3.")
    me = doc["paths"]["/api/v1/me/"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for code in ("401", "403", "429"):
        content = me["responses"][code]["content"]
        assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    assert "Retry-After" in me["responses"]["429"]["headers"]
    assert doc["components"]["schemas"]["Problem"] == PROBLEM_SCHEMA
    assert me["responses"]["200"]["content"]["application/json"]["examples"]


def test_every_field_of_every_schema_is_described(db):
    doc = schema(Client())

    undescribed = [
        f"{name}.{field}"
        for name, component in doc["components"]["schemas"].items()
        for field, prop in component.get("properties", {}).items()
        if not prop.get("description") and "$ref" not in prop and "allOf" not in prop
    ]
    assert undescribed == []


def test_the_docs_page_works_under_the_strict_csp_from_local_files(db):
    client = Client()

    page = client.get("/api/v1/docs/")

    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    tree = lxml.html.fromstring(page.content)
    assert tree.xpath("//script[not(@src)]") == []  # no inline script
    assert tree.xpath("//style") == [] and tree.xpath("//*[@style]") == []
    sources = tree.xpath("//script/@src") + tree.xpath("//link[@rel='stylesheet']/@href")
    for src in sources:
        assert not re.match(r"^(https?:)?//", src), f"{src} is not served locally"
    static = [s for s in sources if s.startswith("/static/")]
    assert len(static) >= 3
    for src in static:
        assert finders.find(src.removeprefix("/static/")), src
    init = [s for s in sources if s.startswith("/api/v1/docs/")]
    assert len(init) == 1
    script = client.get(init[0])
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"/api/v1/schema/" in script.content
