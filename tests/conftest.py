"""Personas (STYLE.md rule 9): each is a user with one role, in the default team."""

from __future__ import annotations

import pytest

from portal.accounts.roles import Role
from tests.factories import OfficerFactory, UserFactory, default_team


@pytest.fixture(autouse=True)
def _no_seal_tasks_from_tests(settings):
    """Tests seal the access log by calling the sealer; queueing a seal task on every
    commit would leave stray messages in the broker for no worker to take."""
    settings.LIAISON_AUDIT_SEAL_ON_COMMIT = False


@pytest.fixture(autouse=True)
def _fresh_sign_in_address_limits():
    """Every test client signs in from 127.0.0.1; the per-address sign-in limit (lockout.py)
    lives in the cache, and must not carry one test's failures into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On the embedded default the portal connects as ``liaison_app`` (portal.dbroles); the
    suite connects as the embedded server's superuser instead, which creates the test
    database, migrates it and plays the tampering superuser. Tests that prove what the
    runtime role may do act as that role (tests/portal/audit/test_roles.py)."""
    from django.conf import settings
    from django.db import connections

    if settings.LIAISON_DB_EMBEDDED:
        from portal.embedded import SUPERUSER

        connections["default"].close()
        settings.DATABASES["default"]["USER"] = SUPERUSER
        settings.LIAISON_DB_MIGRATE = {}


def _staff(role: Role, username: str):
    user = UserFactory(username=username, roles=[role])
    default_team().members.add(user)
    return user


@pytest.fixture
def responder(db):
    return _staff(Role.RESPONDER, "responder")


@pytest.fixture
def legal(db):
    return _staff(Role.LEGAL, "legal")


@pytest.fixture
def child_safety(db):
    return _staff(Role.CHILD_SAFETY, "analyst")


@pytest.fixture
def supervisor(db):
    return _staff(Role.SUPERVISOR, "supervisor")


@pytest.fixture
def auditor(db):
    return _staff(Role.AUDITOR, "auditor")


@pytest.fixture
def admin_user(db):
    user = _staff(Role.ADMIN, "admin")
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def officer_a(db):
    return OfficerFactory(
        agency__name="Agency A Police", agency__email_domains=["a-pd.example.gov"]
    )


@pytest.fixture
def officer_b(db):
    return OfficerFactory(
        agency__name="Agency B Police", agency__email_domains=["b-pd.example.gov"]
    )


# --- Transactional tests all restore the migrations' rows ----------------------------------


# Tests whose outcome depends on which database server and broker the run is given: CI
# runs the whole suite on the embedded defaults, then these again against PostgreSQL at
# 127.0.0.1 and Redis (``-m server``). Tests using a real worker are marked here; others
# carry ``@pytest.mark.server`` themselves.
SERVER_FIXTURES = frozenset({"celery_worker_factory", "celery_broker"})


def pytest_collection_modifyitems(items):
    """Give every transactional test ``serialized_rollback``.

    A transactional test ends with a flush. Without serialized rollback Django then re-runs
    post_migrate, which re-creates content types and permissions; a later test *with*
    serialized rollback reloads its snapshot on top of them and fails on duplicate keys.
    With it, the flush leaves the tables empty and each test reloads the rows the
    migrations made (roles, the default team) itself. Mixing the two is the bug; making
    all of them serialized costs a few milliseconds per transactional test.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", None)
        if fixtures is not None and SERVER_FIXTURES & set(fixtures):
            item.add_marker(pytest.mark.server)
        if marker is not None:
            if marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
                item.add_marker(
                    pytest.mark.django_db(*marker.args, **marker.kwargs, serialized_rollback=True),
                    append=False,
                )
        elif (
            fixtures is not None
            and "transactional_db" in fixtures
            and "django_db_serialized_rollback" not in fixtures
        ):
            fixtures.append("django_db_serialized_rollback")


# --- Real Celery workers (tests/celery_harness.py) ------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test with workers that failed shows what they logged: a task that never finished
    is otherwise a bare timeout (was it lost, retried, or did it fail?)."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for handle in getattr(item, "celery_processes", ()):
            report.sections.append(
                (f"celery {handle.kind} log (last 6000 characters)", handle.log[-6000:])
            )


@pytest.fixture(scope="session")
def celery_broker(tmp_path_factory):
    """The session's broker: Redis when CELERY_BROKER_URL is set, else a fresh folder."""
    from portal.celery import app
    from tests import celery_harness

    broker = celery_harness.session_broker(tmp_path_factory.mktemp("celery"))
    previous = celery_harness.app_configure(app, broker.as_config())
    yield broker
    celery_harness.app_configure(app, previous)


@pytest.fixture
def celery_worker_factory(
    transactional_db, django_db_serialized_rollback, celery_broker, tmp_path, request
):
    """Start real workers (or beat) for one test, on a queue of the test's own.

    ``start(kind="worker", settings={...}, concurrency=2, beat_schedule=None)`` returns a
    ``CeleryProcess`` with ``.stop()``, ``.kill()``, ``.log`` and ``.count(pattern)``; the
    test process publishes to the same queue. Needs committed data, hence transactional;
    ``serialized_rollback`` puts the rows the migrations created (roles, the default team)
    back for the tests that follow. Whatever still runs at the end is killed.
    """
    import dataclasses

    from django.db import connection

    from portal.celery import app
    from tests import celery_harness

    broker = dataclasses.replace(celery_broker, queue=celery_harness.new_queue_name())
    celery_harness.app_configure(app, broker.as_config())
    started: list[celery_harness.CeleryProcess] = []
    request.node.celery_processes = started  # their logs go into a failed test's report

    def start(kind: str = "worker", **options):
        handle = celery_harness.start(
            kind,
            broker=broker,
            database_name=connection.settings_dict["NAME"],
            log_dir=tmp_path,
            **options,
        )
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.kill()
    celery_harness.broker_purge(app, broker)
