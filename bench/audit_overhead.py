"""What the access log costs: verifier speed on 1M events, and request latency log on vs off.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison .venv/bin/python bench/audit_overhead.py

Works in its own database on the given server (``liaison_bench_audit_<pid>``, dropped at the end
unless ``--keep``), so it never touches real data. Steps:

1. Seed N events (default 1,000,000) with one ``INSERT ... SELECT generate_series``, seal
   them with the portal's own sealer, VACUUM (the steady state of a live table), then time
   ``chain_verify`` (what ``manage.py verify_audit_log`` runs): events/s, target >= 100,000.
2. Latency of the case detail page (``cases:detail``, demo data, as the supervisor), log
   on vs off, requests interleaved: "off" turns every access-event INSERT of the request
   into a no-op, so the difference is the whole cost of logging. Target: ratio of medians
   <= 1.10. Also a minimal "case-like" page (one object and 20 rows in the base template),
   the worst case: the lighter the page, the larger the log's share.

In-process Django test client, no network: that leaves out the server and network time a
real request also spends, so the ratios here are upper bounds of the real ones.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = f"liaison_bench_audit_{os.getpid()}"  # concurrent runs never collide

SEED_SQL = """
INSERT INTO audit_accessevent (at, actor_id, actor_label, actor_roles, actor_agency, ip,
    user_agent, request_id, action, object_type, object_id, case_reference, outcome,
    details, seq, prev_hash, hash)
SELECT now() - make_interval(secs => %(n)s - g), NULL, 'user' || (g %% 40), 'responder', '',
    ('192.0.2.' || (g %% 250 + 1))::inet,
    'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', md5(g::text),
    (ARRAY['view', 'list', 'download', 'update'])[g %% 4 + 1], 'cases.case',
    (g %% 50000)::text, 'LR-2026-' || lpad((g %% 50000)::text, 6, '0'), 'success',
    jsonb_build_object('path', '/cases/LR-2026-' || lpad((g %% 50000)::text, 6, '0') || '/'),
    NULL, '', ''
FROM generate_series(1, %(n)s) AS g
"""

PAGE = """{% extends "base.html" %}
{% block title %}Case {{ case.case_reference }}{% endblock %}
{% block content %}
<h1>Case {{ case.case_reference }}</h1>
<p>{{ case.action }} by {{ case.actor_label }} at {{ case.at|date:"Y-m-d H:i:s T" }}</p>
<table class="table"><tbody>
{% for row in timeline %}<tr><td>{{ row.at|date:"Y-m-d H:i T" }}</td><td>{{ row.actor_label }}</td>
<td>{{ row.action }}</td><td>{{ row.object_id }}</td></tr>{% endfor %}
</tbody></table>
{% endblock %}
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=1500, help="per variant")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url or DATABASE_URL (a PostgreSQL server)")
    return args


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"  # the on-commit sealer queues here
    import django

    django.setup()


def create_database() -> None:
    from django.db import connection

    connection.settings_dict["TEST"]["NAME"] = BENCH_DB
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def destroy_database(old_name: str) -> None:
    from django.db import connection

    connection.creation.destroy_test_db(old_name, verbosity=0)


def bench_verifier(events: int) -> None:
    from django.db import connection

    from portal.audit.chain import chain_seal, chain_verify

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL, {"n": events})
    seeded = time.perf_counter() - started
    print(f"seeded {events:,} events in {seeded:.1f} s")

    started = time.perf_counter()
    sealed = chain_seal(batch_size=20_000, max_batches=10**6)
    sealing = time.perf_counter() - started
    print(f"sealed {sealed:,} events in {sealing:.1f} s ({sealed / sealing:,.0f} events/s)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) audit_accessevent")

    runs = []
    for _ in range(3):
        started = time.perf_counter()
        report = chain_verify()
        runs.append(time.perf_counter() - started)
        assert report.first_bad is None and report.count == events, report
    best, median = min(runs), statistics.median(runs)
    print(
        f"verifier: {events:,} events, best {best:.2f} s = {events / best:,.0f} events/s, "
        f"median {median:.2f} s = {events / median:,.0f} events/s (target >= 100,000)"
    )


class _LogSwitch:
    """Turns the access log's write into a no-op while off (the "log off" variant).

    It switches the function that really writes an event, ``portal.audit.services.
    _event_insert`` (a prepared INSERT), not ``AccessEvent.objects.create``, which that
    path never calls: the earlier switch stubbed ``create`` and so compared logging with
    logging (its ratio of 0.99 measured nothing). ``_compare`` checks both ways that the
    switch works: every "off" request writes no row, every "on" request at least one.
    """

    def __init__(self) -> None:
        from portal.audit import services

        self.services = services
        self.write = services._event_insert

    def off(self) -> None:
        self.services._event_insert = lambda event: None

    def on(self) -> None:
        self.services._event_insert = self.write


def _signed_in_client(user):
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.accounts.middleware import AUTH_AT_KEY

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session[AUTH_AT_KEY] = time.time() + 10 * 3600  # no absolute-timeout sign-out mid-run
    session.save()
    return client


def _compare(label: str, client, url: str, requests: int, switch: _LogSwitch) -> None:
    from portal.audit.models import AccessEvent

    def timed(logging: bool) -> float:
        rows_before = AccessEvent.objects.count()  # outside the timed part
        switch.on() if logging else switch.off()
        try:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
        finally:
            switch.on()
        assert response.status_code == 200, (url, response.status_code)
        written = AccessEvent.objects.count() - rows_before
        if logging:
            assert written >= 1, f"log on wrote nothing for {url}"
        else:
            assert written == 0, f"log off still wrote {written} event(s) for {url}"
        return elapsed

    for _ in range(50):  # warm up: connections, template caches
        timed(True)
        timed(False)
    on, off = [], []
    for i in range(requests):  # ABBA order: neither variant always goes first
        if i % 2:
            off.append(timed(False))
            on.append(timed(True))
        else:
            on.append(timed(True))
            off.append(timed(False))
    med_on, med_off = statistics.median(on), statistics.median(off)
    print(
        f"{label}, {requests} requests each: log on median {med_on * 1000:.2f} ms, "
        f"log off {med_off * 1000:.2f} ms, ratio {med_on / med_off:.3f} "
        f"(means {statistics.mean(on) / statistics.mean(off):.3f}); target <= 1.10"
    )


def bench_latency(requests: int) -> None:
    import io

    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.shortcuts import get_object_or_404
    from django.template import engines
    from django.test import override_settings
    from django.urls import include, path, reverse

    from portal.accounts.models import User
    from portal.accounts.roles import Role
    from portal.audit.access import audited
    from portal.audit.models import AccessEvent, Action
    from portal.audit.services import access_event_record

    switch = _LogSwitch()

    # 1. The real case page, on the demo data (owned by the cases app, which may be
    #    mid-change: a failure there is reported, and the minimal page is still measured).
    try:
        from cases.selectors import cases_visible_to

        call_command("load_demo", stdout=io.StringIO())
        supervisor = User.objects.get(username="supervisor")
        case = cases_visible_to(supervisor).order_by("pk").first()
        url = reverse("cases:detail", args=[case.reference])
        client = _signed_in_client(supervisor)
        _compare(f"case detail page {url}", client, url, requests, switch)
    except Exception as exc:  # a bench reports and goes on
        print(f"case detail page: not measured ({exc!r})")

    # 2. A minimal case-like page: the worst case for the log's share.
    page = engines["django"].from_string(PAGE)

    @audited(Action.VIEW, object_type="bench.case")
    def case_like(request, pk: int):
        from django.http import HttpResponse

        row = get_object_or_404(AccessEvent, pk=pk)
        timeline = AccessEvent.objects.filter(case_reference=row.case_reference).order_by("-at")[
            :20
        ]
        access_event_record(
            action=Action.VIEW,
            request=request,
            obj=row,
            object_type="bench.case",
            case_reference=row.case_reference,
        )
        return HttpResponse(page.render({"case": row, "timeline": timeline}, request))

    urls = types.ModuleType("bench_audit_urls")
    urls.urlpatterns = [path("bench/case/<int:pk>/", case_like), path("", include("portal.urls"))]
    sys.modules["bench_audit_urls"] = urls
    user = User.objects.create_user(username="bench", email="bench@provider.example.com")
    user.groups.add(*Group.objects.filter(name__in=[Role.RESPONDER, Role.AUDITOR]))
    client = _signed_in_client(user)
    pk = AccessEvent.objects.filter(actor=None).order_by("-id").values_list("pk", flat=True)[0]
    with override_settings(ROOT_URLCONF="bench_audit_urls"):
        _compare("minimal case-like page", client, f"/bench/case/{pk}/", requests, switch)
        samples = []
        for _ in range(200):
            started = time.perf_counter()
            client.get("/audit/?case=LR-2026-000001")
            samples.append(time.perf_counter() - started)
    print(
        "auditor's event list (1M-row table, filtered by case): median "
        f"{statistics.median(samples) * 1000:.2f} ms"
    )


def main() -> None:
    args = parse_args()
    setup_django(args.database_url)
    from django.conf import settings

    old_name = settings.DATABASES["default"]["NAME"]
    create_database()
    try:
        bench_verifier(args.events)
        bench_latency(args.requests)
    finally:
        if args.keep:
            print(f"kept database {BENCH_DB}")
        else:
            destroy_database(old_name)


if __name__ == "__main__":
    main()
