"""Bench datasets: a database of our own, migrated, filled with set-based SQL.

A bench measures what a page costs with a realistic amount of data, so it needs a million
cases, and the ORM cannot make them in any reasonable time (one INSERT per row and the
services' side effects). This module instead fills the tables with a handful of
``INSERT ... SELECT ... FROM generate_series`` statements and then builds the indexes, which
takes minutes, not hours. The rows are shaped like a real install (a few teams, a couple of
hundred agencies, mostly closed cases, open ones with deadlines, three identifiers per case
with normalised values drawn from word lists so trigram search sees realistic text), and
use fictitious data only: ``example.*`` domains, RFC 5737 / RFC 3849 addresses, 555-01xx
numbers.

Each dataset lives in its own database on the server of ``DATABASE_URL`` (default: the
machine's PostgreSQL at 127.0.0.1:5432), never in the embedded development database:
``liaison_bench_queue_<cases>``. A finished seed is recorded in ``bench_meta``; a later run
reuses the database when the counts match and only moves the clocks so "overdue" and "due in
48 h" still hold the same share of cases. ``--reseed`` drops it and starts again.

Usage from a bench (Django must not be set up yet)::

    from bench import seed
    url = seed.dataset_prepare(cases=1_000_000)      # creates, migrates, seeds if needed
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
TARGETS_PER_CASE = 3
SEED_VERSION = 3  # bump when the shape of the data changes: old bench databases are reseeded

# The personas the benches sign in as (created by the seed, members of the seeded teams).
RESPONDER = "bench.responder"  # responder and legal in Americas: requests of one team
SUPERVISOR = "bench.supervisor"  # supervisor of Americas and EMEA: every case of two teams
ANALYST = "bench.analyst"  # child-safety analyst of the child-safety team

# (slug, name, share of all cases)
TEAMS = (
    ("americas", "Americas", 0.44),
    ("emea", "EMEA", 0.31),
    ("apac", "APAC", 0.13),
    ("child-safety", "Child safety", 0.12),
)
STAFF_PER_TEAM = 20

Log = Callable[[str], None]


# --- where the databases live -----------------------------------------------------------------


def server_url() -> str:
    """The PostgreSQL server to use: ``DATABASE_URL`` (any database on it), else local."""
    return os.environ.get("DATABASE_URL") or DEFAULT_SERVER


def database_name(cases: int) -> str:
    return f"liaison_bench_queue_{cases}"


def database_url(name: str) -> str:
    parts = urlsplit(server_url())
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _admin_connect() -> Any:
    import psycopg

    return psycopg.connect(database_url("postgres"), autocommit=True)


def database_exists(name: str) -> bool:
    with _admin_connect() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def database_create(name: str, *, drop: bool = False) -> None:
    from psycopg import sql

    with _admin_connect() as conn:
        if drop:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def django_setup(url: str) -> None:
    """Point Django at ``url`` with production-like settings for timing (no DEBUG)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory and slows each request
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    import django

    django.setup()


# --- the dataset ---------------------------------------------------------------------------------


def dataset_prepare(*, cases: int, reseed: bool = False, log: Log = print) -> str:
    """Make sure the bench database for ``cases`` exists, is migrated and seeded.

    Sets Django up on it (so call once per process) and returns its URL. A complete seed
    of the same size and version is reused, with its clocks moved to now.
    """
    name = database_name(cases)
    url = database_url(name)
    fresh = reseed or not database_exists(name)
    if fresh:
        log(f"[{name}] creating the database")
        database_create(name, drop=True)
    django_setup(url)
    started = time.perf_counter()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    log(f"[{name}] migrated in {time.perf_counter() - started:.1f} s")
    meta = _meta_read()
    if meta and meta["cases"] == cases and meta["version"] == SEED_VERSION:
        moved = _clocks_refresh(meta)
        log(f"[{name}] reusing the seeded database ({cases:,} cases; clocks moved by {moved})")
        return url
    if not fresh:
        # A half-made or older seed: start from an empty, freshly migrated database.
        from django.db import connection

        connection.close()
        log(f"[{name}] seed missing, incomplete or outdated: recreating the database")
        database_create(name, drop=True)
        call_command("migrate", verbosity=0, interactive=False)
    seed(cases=cases, log=lambda line: log(f"[{name}] {line}"))
    return url


def _meta_read() -> dict[str, Any] | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_meta')")
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute("SELECT cases, version, seeded_at FROM bench_meta")
        row = cursor.fetchone()
    if row is None:
        return None
    return {"cases": row[0], "version": row[1], "seeded_at": row[2]}


def _clocks_refresh(meta: dict[str, Any]) -> str:
    """Move every open clock by the time since the seed (or the last refresh).

    Without this, a database seeded last week would hold no case "due in 48 h" and far
    more overdue ones than a live queue. Only open rows move (a few per cent), so this
    is quick; received/closed times of old cases stay as they are.
    """
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT now() - seeded_at FROM bench_meta")
        (shift,) = cursor.fetchone()
        if shift.total_seconds() < 60:
            return str(shift)
        cursor.execute(
            "UPDATE cases_case SET next_due_at = next_due_at + %s WHERE next_due_at IS NOT NULL",
            [shift],
        )
        cursor.execute(
            "UPDATE cases_deadline SET due_at = due_at + %s, "
            "next_reminder_at = next_reminder_at + %s WHERE status = 'open'",
            [shift, shift],
        )
        cursor.execute("UPDATE bench_meta SET seeded_at = now()")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
        cursor.execute("ANALYZE cases_deadline")
    return str(shift).split(".")[0]


# --- seeding -------------------------------------------------------------------------------------

SEEDED_TABLES = (
    "cases_case",
    "cases_legalprocess",
    "cases_target",
    "cases_deadline",
    "cases_timelineevent",
)


def _split(words: str) -> tuple[str, ...]:
    return tuple(words.split())


FIRST_NAMES = _split(
    "adam alex alice amelia anna ben carla chen chris clara dan david diego elena emma eva "
    "felix finn grace hana hugo ines isaac ivan jack jane jin john jonas julia kai karl kate "
    "lara leo lena liam lina lucas luis maria mark marta max mia nina noah nora olga omar "
    "oscar paul pedro petra quinn rafael rosa ruth sam sara sofia tara theo tom uma victor "
    "wei yara yusuf zoe"
)
LAST_NAMES = _split(
    "adams alvarez baker becker brown castro chen clark costa cruz davis diaz doe dubois "
    "evans fischer garcia gomez green hall hansen hill ito jansen johnson jones kim klein "
    "kowalski lee lopez martin meyer miller moreau muller nakamura nguyen novak olsen "
    "park patel perez petrov ramos reyes rossi ruiz santos schmidt silva smith tanaka "
    "taylor thomas walker wang weber white wilson wright young zhang"
)
WORDS = _split(
    "amber angry arctic autumn bitter black blue bold brave bright broken calm cosmic crimson "
    "crystal cyber dark dawn desert digital dusty electric emerald empty fallen fast fire "
    "frozen ghost gold golden green grey hidden hollow honey iron jade last lazy little lone "
    "lost lucky lunar mad magic midnight misty neon night noble ocean orange pale phantom "
    "pixel polar purple quiet rapid raven red rusty sandy secret shadow silent silver sky "
    "sleepy snow solar spicy steel stone storm sunny swift thunder tiny toxic urban velvet "
    "wild winter wolf"
)
NOUNS = _split(
    "ace angel arrow badger bear bird blade boss breeze cat cobra coder comet crow dragon "
    "dream eagle echo falcon fox gamer ghost hawk hero hunter jaguar joker king knight lion "
    "lynx master moon ninja owl panda panther pilot pirate queen rabbit raider ranger rebel "
    "rider river rocket rose runner sage samurai scout shark sniper spark spider star storm "
    "tiger titan viper walker warrior wave wizard wolf"
)
# Real US area codes; with the fictitious 555-0100..0199 block they make valid-looking,
# harmless numbers (libphonenumber accepts them, as the target tests show).
AREA_CODES = _split(
    "201 202 203 205 206 207 208 209 210 212 213 214 215 216 217 218 219 224 225 228 229 "
    "231 234 239 240 248 251 252 253 254 256 260 262 267 269 270 276 281 301 302 303 304 "
    "305 307 308 309 310 312 313 314 315 316 317 318 319 320 321 323 325 330 334 336 337 "
    "339 347 351 352 360 361 386 401 402 404 405 406 407 408 409 410 412 413 414 415 417 "
    "419 423 425 430 432 434 435 440 443 469 478 479 480 484 501 502 503 504 505 507 508 "
    "509 510 512 513 515 516 517 518 520 530 540 541 551 559 561 562 563 567 570 571 573 "
    "574 580 585 586 601 602 603 605 606 607 608 609 610 612 614 615 616 617 618 619 620 "
    "623 626 630 631 636 641 646 650 651 660 661 662 678 682 701 702 703 704 706 707 708 "
    "712 713 714 715 716 717 718 719 720 724 727 731 732 734 740 754 757 760 763 765 770 "
    "772 773 774 775 781 785 786 801 802 803 804 805 806 808 810 812 813 814 815 816 817 "
    "818 828 830 831 832 843 845 847 848 850 856 857 858 859 860 862 863 864 865 870 901 "
    "903 904 907 908 909 910 912 913 914 915 916 917 918 919 920 925 928 931 936 937 940 "
    "941 947 949 951 952 954 956 970 971 972 973 978 979 980 985 989"
)

US_STATES = _split(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
)
EMEA_COUNTRIES = _split("DE FR GB IE NL BE ES IT PL SE DK FI AT PT CZ")
APAC_COUNTRIES = _split("AU NZ JP SG IN KR")


def _agencies() -> list[dict[str, Any]]:
    """About two hundred agencies: the same list at every dataset size."""
    rows: list[dict[str, Any]] = []
    for i, state in enumerate(US_STATES):
        rows.append(_agency(f"{state} State Police", "US", f"US-{state}", "state", f"sp{i}"))
        rows.append(
            _agency(f"Example City Police, {state}", "US", f"US-{state}", "local", f"pd{i}")
        )
        rows.append(
            _agency(f"Example County Sheriff, {state}", "US", f"US-{state}", "local", f"so{i}")
        )
    for i, name in enumerate(("Federal Bureau (example)", "Homeland Unit (example)")):
        rows.append(_agency(name, "US", "", "federal", f"fed{i}"))
    for i, country in enumerate(EMEA_COUNTRIES):
        rows.append(_agency(f"National Police {country}", country, "", "foreign", f"np{i}"))
        rows.append(_agency(f"Cybercrime Unit {country}", country, "", "foreign", f"cc{i}"))
    for i, country in enumerate(APAC_COUNTRIES):
        rows.append(_agency(f"National Police {country}", country, "", "foreign", f"ap{i}"))
        rows.append(_agency(f"Cybercrime Unit {country}", country, "", "foreign", f"ac{i}"))
    for i, country in enumerate(("CA", "BR", "MX")):
        rows.append(_agency(f"Federal Police {country}", country, "", "foreign", f"am{i}"))
    return rows


def _agency(name: str, country: str, subdivision: str, kind: str, slug: str) -> dict[str, Any]:
    region = "emea" if country in EMEA_COUNTRIES else "apac" if country in APAC_COUNTRIES else "am"
    return {
        "name": name,
        "country": country,
        "subdivision": subdivision,
        "kind": kind,
        "domains": [f"{slug}.example.gov"],
        "region": region,
    }


def seed(*, cases: int, log: Log = print) -> None:
    """Fill an empty, migrated database with ``cases`` cases and their rows."""
    from django.db import DatabaseError, connection

    total = time.perf_counter()
    teams, staff = _people_create()
    agencies = _agencies_create()
    people = len({pk for members in staff.values() for pk in members})
    log(f"{len(teams)} teams, {people} staff (3 bench personas), {len(agencies)} agencies")

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET work_mem = '256MB'")
        try:
            # Skips foreign-key checks and row triggers during the load (we write consistent
            # rows); needs a superuser, and without it the load is merely slower.
            cursor.execute("SET session_replication_role = replica")
        except DatabaseError:
            log("not a superuser: foreign keys are checked row by row (slower)")
        indexes = _indexes_drop(cursor)
        log(f"dropped {len(indexes)} secondary indexes for the load")
        defaults = _defaults_set(cursor)

        steps = [
            ("random draws for cases", _SQL_SEED_CASE_DRAWS, {"n": cases}),
            (
                f"case attributes (received over {span_days(cases)} days)",
                _SQL_SEED_CASE,
                {"n": cases, "span_days": span_days(cases), **_case_params(teams, staff, agencies)},
            ),
            ("random draws for targets", _SQL_SEED_TARGET_DRAWS, {"per": TARGETS_PER_CASE}),
            ("target values", _SQL_SEED_TARGET, _word_params()),
            (f"{cases:,} cases (with search documents)", _SQL_CASES, {}),
            (f"{cases:,} legal processes", _SQL_PROCESSES, {}),
            (f"{cases * TARGETS_PER_CASE:,} targets", _SQL_TARGETS, {}),
            ("deadlines", _SQL_DEADLINES, {}),
            ("timeline events", _SQL_TIMELINE, {}),
            ("sequences and reference counters", _SQL_SEQUENCES, {}),
        ]
        cursor.execute("SELECT setseed(0.2026)")
        for label, statement, params in steps:
            started = time.perf_counter()
            cursor.execute(statement, params)
            log(f"{label}: {time.perf_counter() - started:.1f} s")
        cursor.execute("SET session_replication_role = DEFAULT")
        for table, column in defaults:
            cursor.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" DROP DEFAULT')

        for definition in indexes:
            started = time.perf_counter()
            cursor.execute(definition)
            name = definition.split(" INDEX ", 1)[1].split(" ON ", 1)[0]
            log(f"index {name}: {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        for table in SEEDED_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("ANALYZE")  # users, teams, agencies: the planner's join estimates
        log(f"VACUUM (ANALYZE): {time.perf_counter() - started:.1f} s")
        cursor.execute(
            "CREATE TABLE bench_meta (cases integer NOT NULL, version integer NOT NULL, "
            "seeded_at timestamptz NOT NULL)"
        )
        cursor.execute("INSERT INTO bench_meta VALUES (%s, %s, now())", [cases, SEED_VERSION])
        cursor.execute(
            "SELECT (SELECT count(*) FROM cases_case), (SELECT count(*) FROM cases_target), "
            "(SELECT count(*) FROM cases_case WHERE status = ANY(%s))",
            [list(_open_statuses())],
        )
        n_cases, n_targets, n_open = cursor.fetchone()
    log(
        f"seeded {n_cases:,} cases ({n_open:,} open), {n_targets:,} targets "
        f"in {time.perf_counter() - total:.0f} s"
    )


def span_days(cases: int) -> int:
    """How long the install has been receiving: 140,000 cases a year, at least 180 days.

    A million cases is seven years of history with about 22,000 open; ten thousand is a
    young install of six months with about 2,300 open, enough that every queue tab of the
    bench personas shows a full page at both sizes, so the 1M/10k ratio compares the same
    rendering work and only the data volume differs.
    """
    return max(180, min(7 * 365, round(cases / 140_000 * 365)))


def _open_statuses() -> tuple[str, ...]:
    from cases.models import OPEN_STATUSES

    return tuple(str(s) for s in OPEN_STATUSES)


def _people_create() -> tuple[dict[str, int], dict[str, list[int]]]:
    """Teams, their staff and the bench personas, through the ORM (a hundred rows)."""
    from django.contrib.auth.models import Group

    from portal.accounts.models import Team, User
    from portal.accounts.roles import Role

    groups = {g.name: g for g in Group.objects.all()}
    teams: dict[str, int] = {}
    staff: dict[str, list[int]] = {}
    for slug, name, _share in TEAMS:
        team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})
        teams[slug] = team.pk
        members = []
        for i in range(STAFF_PER_TEAM):
            if slug == "child-safety":
                roles = [Role.CHILD_SAFETY] if i % 5 else [Role.SUPERVISOR]
            else:
                roles = [Role.RESPONDER] if i % 4 else [Role.LEGAL]
            user = User.objects.create(
                username=f"staff.{slug}.{i:02d}",
                email=f"staff.{slug}.{i:02d}@provider.example.com",
                first_name=FIRST_NAMES[(i * 7 + len(slug)) % len(FIRST_NAMES)].title(),
                last_name=LAST_NAMES[(i * 11 + len(slug)) % len(LAST_NAMES)].title(),
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(*(groups[str(r)] for r in roles))
            team.members.add(user)
            members.append(user.pk)
        staff[slug] = members

    personas = (
        (RESPONDER, [Role.RESPONDER, Role.LEGAL], ["americas"]),
        (SUPERVISOR, [Role.SUPERVISOR], ["americas", "emea"]),
        (ANALYST, [Role.CHILD_SAFETY], ["child-safety"]),
    )
    for username, roles, team_slugs in personas:
        user = User.objects.create(
            username=username,
            email=f"{username}@provider.example.com",
            first_name="Bench",
            last_name=username.split(".")[1].title(),
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(*(groups[str(r)] for r in roles))
        for slug in team_slugs:
            Team.objects.get(pk=teams[slug]).members.add(user)
            # Personas work cases like their colleagues, a little more (one in eight of
            # the team's assignments), so "mine" fills a page even in the small dataset.
            staff[slug].extend([user.pk] * 3)
    return teams, staff


def _agencies_create() -> list[tuple[int, str]]:
    """(id, region) of each agency."""
    from portal.accounts.models import Agency

    made = []
    for row in _agencies():
        agency = Agency.objects.create(
            name=row["name"],
            country=row["country"],
            subdivision=row["subdivision"],
            kind=row["kind"],
            email_domains=row["domains"],
            directory_phone="+12025550100",
        )
        made.append((agency.pk, row["region"]))
    return made


def _case_params(
    teams: dict[str, int], staff: dict[str, list[int]], agencies: list[tuple[int, str]]
) -> dict[str, Any]:
    return {
        "t_am": teams["americas"],
        "t_emea": teams["emea"],
        "t_apac": teams["apac"],
        "t_cs": teams["child-safety"],
        "s_am": staff["americas"],
        "s_emea": staff["emea"],
        "s_apac": staff["apac"],
        "s_cs": staff["child-safety"],
        "a_am": [pk for pk, region in agencies if region == "am"],
        "a_emea": [pk for pk, region in agencies if region == "emea"],
        "a_apac": [pk for pk, region in agencies if region == "apac"],
    }


def _word_params() -> dict[str, Any]:
    return {
        "first": list(FIRST_NAMES),
        "last": list(LAST_NAMES),
        "words": list(WORDS),
        "nouns": list(NOUNS),
        "areas": list(AREA_CODES),
    }


def _defaults_set(cursor: Any) -> list[tuple[str, str]]:
    """Give columns the seed SQL does not name their model default, for the load only.

    The domain grows columns while the bench stays the same; Django keeps defaults in
    Python, so an INSERT that does not name a new NOT NULL column would fail. Returns the
    (table, column) pairs to reset afterwards.
    """
    from django.apps import apps
    from django.db import connection

    changed = []
    for model in apps.get_app_config("cases").get_models():
        table = model._meta.db_table
        if table not in SEEDED_TABLES:
            continue
        # Only columns the migrations made (a model may be ahead of its migration while
        # someone is working on it).
        columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
        for field in model._meta.concrete_fields:
            if field.null or field.primary_key or field.column not in columns:
                continue
            default = field.get_default()
            if default is None:
                continue
            value = field.get_db_prep_save(default, connection)
            cursor.execute(
                f'ALTER TABLE {table} ALTER COLUMN "{field.column}" SET DEFAULT %s', [value]
            )
            changed.append((table, field.column))
    return changed


def _indexes_drop(cursor: Any) -> list[str]:
    """Drop the secondary indexes of the seeded tables; return their definitions.

    Loading into bare tables and building each index once is several times faster than
    maintaining a GIN trigram index row by row. Indexes that back a constraint (primary
    keys, unique constraints) stay. The definitions come from the catalogue, so whatever
    the migrations (including later ones) created is rebuilt exactly.
    """
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY t.relname, 1
        """,
        [list(SEEDED_TABLES)],
    )
    rows = cursor.fetchall()
    for name, _definition in rows:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in rows]


# One row of random draws per case; attributes are derived from them in the next step so
# each draw is made once (volatile random() in a derived expression would be re-evaluated).
_SQL_SEED_CASE_DRAWS = """
CREATE TEMP TABLE seed_draw AS
SELECT g, random() AS r_type, random() AS r_team, random() AS r_open, random() AS r_status,
       random() AS r_due, random() AS r_due2, random() AS r_assign, random() AS r_who,
       random() AS r_prio, random() AS r_emerg, random() AS r_agency, random() AS r_via,
       random() AS r_kind, random() AS r_ndo, random() AS r_close, random() AS r_jitter
FROM generate_series(1, %(n)s) AS g
"""

# Cases received over ``span_days`` up to now, in id order; open mostly among recent ones
# (2 per cent of a seven-year history, a quarter of a young install's), 8 per cent of those
# overdue, 12 per cent due within 48 h; 6 per cent of requests are emergencies.
# Closed cases have no next deadline, except those whose NDO still defers the user notice.
_SQL_SEED_CASE = """
CREATE TEMP TABLE seed_case AS
WITH base AS (
  SELECT d.*,
         %(n)s::bigint AS n,
         CASE WHEN r_type < 0.12 THEN 'child_safety' ELSE 'request' END AS case_type
  FROM seed_draw d
), timed AS (
  SELECT b.*,
         now() - make_interval(secs => ((n - g)::float8 / n) * %(span_days)s * 86400
                                      + r_jitter * 3600) AS received_at,
         ((n - g)::float8 / n) * %(span_days)s AS age_days,
         CASE WHEN case_type = 'child_safety' THEN 'cs'
              WHEN r_team < 0.50 THEN 'am' WHEN r_team < 0.85 THEN 'emea' ELSE 'apac' END
           AS region
  FROM base b
), opened AS (
  SELECT t.*,
         r_open < CASE WHEN age_days < 14 THEN 0.9 WHEN age_days < 60 THEN 0.5
                       WHEN age_days < 365 THEN 0.05 ELSE 0.003 END AS is_open,
         case_type = 'request' AND r_emerg < 0.06 AS emergency
  FROM timed t
)
SELECT g, case_type, region, received_at, is_open, emergency,
  CASE region WHEN 'am' THEN %(t_am)s WHEN 'emea' THEN %(t_emea)s
              WHEN 'apac' THEN %(t_apac)s ELSE %(t_cs)s END AS team_id,
  CASE
    WHEN is_open AND emergency AND r_status < 0.5 THEN 'emergency_review'
    WHEN is_open THEN (ARRAY['received','received','received','triage','triage','triage',
        'triage','needs_info','needs_info','legal_review','legal_review','legal_review',
        'legal_review','approved','approved','collecting','collecting','collecting',
        'ready_to_disclose','ready_to_disclose'])[1 + floor(r_status * 20)::int]
    WHEN r_status < 0.55 THEN 'closed' WHEN r_status < 0.80 THEN 'disclosed'
    WHEN r_status < 0.92 THEN 'rejected' ELSE 'withdrawn'
  END AS status,
  CASE
    -- a closed case under a non-disclosure order still owes the user notice when it ends
    WHEN NOT is_open AND case_type = 'request' AND r_ndo < 0.2
         AND received_at > now() - interval '1 year' THEN received_at + interval '1 year'
    WHEN NOT is_open THEN NULL
    WHEN r_due < 0.03 THEN NULL
    WHEN r_due < 0.11 THEN now() - make_interval(secs => r_due2 * 10 * 86400)
    WHEN r_due < 0.23 THEN now() + make_interval(secs => r_due2 * 48 * 3600)
    ELSE now() + make_interval(secs => 2 * 86400 + r_due2 * 58 * 86400)
  END AS next_due_at,
  CASE
    WHEN is_open AND r_assign > 0.65 THEN NULL
    WHEN region = 'am' THEN (%(s_am)s::bigint[])
        [1 + floor(r_who * cardinality(%(s_am)s::bigint[]))::int]
    WHEN region = 'emea' THEN (%(s_emea)s::bigint[])
        [1 + floor(r_who * cardinality(%(s_emea)s::bigint[]))::int]
    WHEN region = 'apac' THEN (%(s_apac)s::bigint[])
        [1 + floor(r_who * cardinality(%(s_apac)s::bigint[]))::int]
    ELSE (%(s_cs)s::bigint[]) [1 + floor(r_who * cardinality(%(s_cs)s::bigint[]))::int]
  END AS assignee_id,
  CASE WHEN emergency OR r_prio < 0.03 THEN 1 WHEN r_prio < 0.18 THEN 2
       WHEN r_prio < 0.88 THEN 3 ELSE 4 END AS priority,
  CASE
    WHEN region = 'cs' AND r_agency < 0.7 THEN NULL
    WHEN region = 'emea' THEN (%(a_emea)s::bigint[])
        [1 + floor(r_agency * cardinality(%(a_emea)s::bigint[]))::int]
    WHEN region = 'apac' THEN (%(a_apac)s::bigint[])
        [1 + floor(r_agency * cardinality(%(a_apac)s::bigint[]))::int]
    ELSE (%(a_am)s::bigint[]) [1 + floor(r_agency * cardinality(%(a_am)s::bigint[]))::int]
  END AS agency_id,
  CASE WHEN region = 'cs' AND r_agency < 0.7 THEN 'internal'
       WHEN r_via < 0.40 THEN 'portal' WHEN r_via < 0.60 THEN 'api'
       WHEN r_via < 0.92 THEN 'email' WHEN r_via < 0.97 THEN 'fax' ELSE 'mail' END
    AS received_via,
  CASE
    WHEN case_type = 'child_safety' THEN 'cybertipline'
    WHEN emergency THEN 'us_emergency_request'
    WHEN region = 'am' THEN (ARRAY['us_subpoena','us_subpoena','us_subpoena','us_subpoena',
        'us_2703d_order','us_search_warrant','us_search_warrant','us_2703f_preservation',
        'us_2703f_preservation','ca_production_order','br_court_order'])
        [1 + floor(r_kind * 11)::int]
    WHEN region = 'emea' THEN (ARRAY['eu_epoc','eu_epoc','eu_epoc','eu_epoc_pr','uk_opo',
        'mlat'])[1 + floor(r_kind * 6)::int]
    ELSE (ARRAY['au_ipo','au_ipo','mlat'])[1 + floor(r_kind * 3)::int]
  END AS kind,
  case_type = 'request' AND r_ndo < 0.2 AS ndo,
  LEAST(received_at + make_interval(secs => 3600 + r_close * 60 * 86400), now())
    AS closed_or_changed_at
FROM opened
"""

_SQL_SEED_TARGET_DRAWS = """
CREATE TEMP TABLE seed_target_draw AS
SELECT g, k, random() AS r_kind, random() AS r1, random() AS r2, random() AS r3,
       random() AS r4, random() AS r_case
FROM seed_draw, generate_series(1, %(per)s) AS k
"""

# Identifiers: e-mail 40 %, phone 12 %, username 20 %, IP 15 % (nine in ten IPv6 in
# 2001:db8::/32, the rest RFC 5737 IPv4), account ID 7 %, URL 6 %. The slot k picks the
# domain, address block or area codes, so one process never names the same value twice.
_SQL_SEED_TARGET = """
CREATE TEMP TABLE seed_target AS
WITH parts AS (
  SELECT g, k, r_kind, r1, r2, r3, r4, r_case,
    (%(first)s::text[])[1 + floor(r1 * cardinality(%(first)s::text[]))::int] AS first,
    (%(last)s::text[])[1 + floor(r2 * cardinality(%(last)s::text[]))::int] AS last,
    (%(words)s::text[])[1 + floor(r1 * cardinality(%(words)s::text[]))::int] AS word,
    (%(nouns)s::text[])[1 + floor(r2 * cardinality(%(nouns)s::text[]))::int] AS noun,
    (ARRAY['.', '_', '', '.'])[1 + floor(r3 * 4)::int] AS sep,
    CASE WHEN r4 < 0.6 THEN floor(r3 * 1000)::int::text ELSE '' END AS num
  FROM seed_target_draw
), shaped AS (
  SELECT g, k, r_case, r3, r4, first, last, word, noun, sep, num,
    CASE WHEN r_kind < 0.40 THEN 'email' WHEN r_kind < 0.52 THEN 'phone'
         WHEN r_kind < 0.72 THEN 'username' WHEN r_kind < 0.87 THEN 'ip'
         WHEN r_kind < 0.94 THEN 'account_id' ELSE 'url' END AS kind,
    word || (ARRAY['_', '.', '', '_'])[1 + floor(r4 * 4)::int] || noun
      || CASE WHEN r3 < 0.7 THEN floor(r3 * 10000)::int::text ELSE '' END AS username
  FROM parts
)
SELECT g, k, kind,
  CASE kind
    WHEN 'email' THEN CASE WHEN r_case < 0.3
        THEN initcap(first) || sep || initcap(last) || num
        ELSE first || sep || last || num END
      || '@' || (ARRAY['example.com', 'example.net', 'example.org'])[k]
    WHEN 'phone' THEN '+1 ' || (%(areas)s::text[])[1 + ((k - 1) * 97
          + floor(r_case * 97)::int) %% cardinality(%(areas)s::text[])]
      || ' 555 01' || lpad(floor(r3 * 100)::int::text, 2, '0')
    WHEN 'username' THEN CASE WHEN r_case < 0.3 THEN '@' ELSE '' END || username
    WHEN 'ip' THEN CASE WHEN r_case < 0.1
        THEN (ARRAY['192.0.2.', '198.51.100.', '203.0.113.'])[k]
             || (1 + floor(r3 * 254)::int)::text
        ELSE '2001:db8:' || to_hex(k * 4096 + floor(r_case * 4096)::int) || ':'
             || to_hex(1 + floor(r3 * 65534)::int) || '::' || to_hex(1 + floor(r4 * 65534)::int)
        END
    WHEN 'account_id' THEN (1000000000 + g * 3 + k)::text
    ELSE 'https://' || (ARRAY['www.example.com', 'm.example.net', 'example.org'])[k]
      || '/u/' || username
  END AS value,
  CASE kind
    WHEN 'email' THEN lower(first || sep || last || num)
      || '@' || (ARRAY['example.com', 'example.net', 'example.org'])[k]
    WHEN 'phone' THEN '+1' || (%(areas)s::text[])[1 + ((k - 1) * 97
          + floor(r_case * 97)::int) %% cardinality(%(areas)s::text[])]
      || '55501' || lpad(floor(r3 * 100)::int::text, 2, '0')
    WHEN 'username' THEN username
    WHEN 'ip' THEN CASE WHEN r_case < 0.1
        THEN (ARRAY['192.0.2.', '198.51.100.', '203.0.113.'])[k]
             || (1 + floor(r3 * 254)::int)::text
        ELSE '2001:db8:' || to_hex(k * 4096 + floor(r_case * 4096)::int) || ':'
             || to_hex(1 + floor(r3 * 65534)::int) || '::' || to_hex(1 + floor(r4 * 65534)::int)
        END
    WHEN 'account_id' THEN (1000000000 + g * 3 + k)::text
    ELSE 'https://' || (ARRAY['www.example.com', 'm.example.net', 'example.org'])[k]
      || '/u/' || username
  END AS normalised
FROM shaped
"""

# References per prefix and year in receipt order (LR-2024-000123), as the counter would
# have handed them out; the search document is what case_search_refresh() would build.
_SQL_CASES = """
INSERT INTO cases_case (id, reference, case_type, status, team_id, assignee_id, priority,
    emergency, agency_id, submitting_officer_id, received_via, summary, user_notice_status,
    user_notice_withheld_reason, user_notice_note, user_notice_sent_at, next_due_at,
    status_changed_at, created_at, updated_at, closed_at, search_vector)
SELECT c.g,
  r.reference, c.case_type, c.status, c.team_id, c.assignee_id, c.priority, c.emergency,
  c.agency_id, NULL, c.received_via,
  CASE c.kind WHEN 'us_subpoena' THEN 'Subscriber information'
              WHEN 'us_search_warrant' THEN 'Account content'
              WHEN 'cybertipline' THEN 'Apparent CSAM, automated detection'
              ELSE '' END,
  CASE WHEN c.ndo OR c.emergency OR c.case_type = 'child_safety' THEN 'withheld'
       WHEN NOT c.is_open AND c.status = 'disclosed' THEN 'sent' ELSE 'pending' END,
  CASE WHEN c.ndo THEN 'ndo' WHEN c.emergency THEN 'emergency'
       WHEN c.case_type = 'child_safety' THEN 'dangerous' ELSE '' END,
  '',
  CASE WHEN NOT (c.ndo OR c.emergency OR c.case_type = 'child_safety')
        AND NOT c.is_open AND c.status = 'disclosed' THEN c.closed_or_changed_at END,
  c.next_due_at,
  c.closed_or_changed_at, c.received_at, c.closed_or_changed_at,
  CASE WHEN c.is_open THEN NULL ELSE c.closed_or_changed_at END,
  to_tsvector('simple', r.reference || ' ' || coalesce(a.name, '') || ' ' || t.document)
FROM seed_case c
JOIN (
  SELECT g, CASE WHEN case_type = 'child_safety' THEN 'CS' ELSE 'LR' END || '-'
         || extract(year FROM received_at)::int || '-'
         || lpad(row_number() OVER (PARTITION BY case_type, extract(year FROM received_at)
                                    ORDER BY g)::text, 6, '0') AS reference
  FROM seed_case
) r USING (g)
JOIN (
  SELECT g, string_agg(CASE WHEN value = normalised THEN normalised
                            ELSE normalised || ' ' || value END, ' ' ORDER BY k) AS document
  FROM seed_target GROUP BY g
) t USING (g)
LEFT JOIN accounts_agency a ON a.id = c.agency_id
ORDER BY c.g
"""

_SQL_PROCESSES = """
INSERT INTO cases_legalprocess (id, case_id, kind, country, subdivision, issuing_authority,
    authority_reference, received_at, return_date, period_ends_on, extensions, ndo,
    ndo_expires_on, emergency, emergency_justification, foreign_offence,
    enforcing_state_notified, reported_at, document, document_name, document_sha256,
    document_content_type, document_size, created_at, created_by_id)
SELECT c.g, c.g, c.kind, coalesce(a.country, 'US'), coalesce(a.subdivision, ''),
  coalesce(a.name, 'Internal detection'), 'DOC-' || c.g, c.received_at, NULL, NULL, 0,
  c.ndo, CASE WHEN c.ndo THEN (c.received_at + interval '1 year')::date END,
  c.emergency,
  CASE WHEN c.emergency THEN 'Imminent risk of serious physical injury (bench data).'
       ELSE '' END,
  false, false,
  CASE WHEN c.kind = 'cybertipline' THEN c.received_at + interval '2 days' END,
  '', '', '', '', NULL, c.received_at, NULL
FROM seed_case c LEFT JOIN accounts_agency a ON a.id = c.agency_id
ORDER BY c.g
"""

_SQL_TARGETS = """
INSERT INTO cases_target (process_id, case_id, kind, value, normalised)
SELECT g, g, kind, value, normalised FROM seed_target ORDER BY g, k
ON CONFLICT DO NOTHING
"""

# Open cases: the response deadline that sets next_due_at plus a later one; closed cases:
# one deadline that was met.
_SQL_DEADLINES = """
INSERT INTO cases_deadline (case_id, process_id, kind, due_at, rule_id, citation,
    explanation, explanation_params, needs_legal_review, status, closed_at,
    original_due_at, overridden_by_id, overridden_at, override_reason, next_reminder_at,
    reminders_sent, created_at, updated_at)
SELECT c.g, c.g, d.kind, d.due_at, r.rule_id, r.citation,
  'Seeded for the benchmark: %%(days)s days.', '{"days": 14}'::jsonb, false, d.status,
  CASE WHEN d.status = 'met' THEN c.closed_or_changed_at END, NULL, NULL, NULL, '',
  CASE WHEN d.status = 'open' AND d.due_at - interval '1 day' > now()
       THEN d.due_at - interval '1 day' END,
  0, c.received_at, c.closed_or_changed_at
FROM seed_case c
CROSS JOIN LATERAL (
  VALUES
    ('response', CASE WHEN c.is_open THEN c.next_due_at ELSE c.closed_or_changed_at END,
     CASE WHEN c.is_open THEN 'open' ELSE 'met' END),
    ('user_notice', CASE WHEN c.is_open THEN c.next_due_at + interval '30 days'
                         ELSE c.next_due_at END, 'open')
) AS d(kind, due_at, status)
CROSS JOIN LATERAL (
  SELECT CASE c.kind WHEN 'us_subpoena' THEN 'us.subpoena'
                     WHEN 'us_search_warrant' THEN 'us.search_warrant'
                     WHEN 'cybertipline' THEN 'us.cybertipline'
                     WHEN 'eu_epoc' THEN 'eu.epoc' ELSE 'intl.mlat' END AS rule_id,
         CASE c.kind WHEN 'us_subpoena' THEN '18 USC 2703(c)(2)'
                     WHEN 'cybertipline' THEN '18 USC 2258A'
                     WHEN 'eu_epoc' THEN 'Regulation (EU) 2023/1543 Art. 10'
                     ELSE '18 USC 2703' END AS citation
) AS r
WHERE d.due_at IS NOT NULL
ORDER BY c.g
"""

_SQL_TIMELINE = """
INSERT INTO cases_timelineevent (case_id, at, actor_id, kind, public, message, params)
SELECT c.g, e.at, e.actor, e.kind, e.public, e.message, e.params
FROM seed_case c
CROSS JOIN LATERAL (
  VALUES
    (c.received_at, NULL::bigint, 'intake', true,
     'Received %%(kind)s from %%(authority)s (%%(via)s).',
     jsonb_build_object('kind', c.kind, 'authority', 'bench', 'via', c.received_via)),
    (c.closed_or_changed_at, c.assignee_id, 'transition', false,
     'Status changed from %%(source)s to %%(target)s.',
     jsonb_build_object('source', 'received', 'target', c.status))
) AS e(at, actor, kind, public, message, params)
WHERE e.kind = 'intake' OR c.status <> 'received'
ORDER BY c.g, e.at
"""

_SQL_SEQUENCES = """
SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case));
SELECT setval(pg_get_serial_sequence('cases_legalprocess', 'id'),
              (SELECT max(id) FROM cases_legalprocess));
INSERT INTO cases_referencecounter (prefix, year, value)
SELECT split_part(reference, '-', 1), split_part(reference, '-', 2)::int,
       max(split_part(reference, '-', 3)::int)
FROM cases_case GROUP BY 1, 2
ON CONFLICT (prefix, year) DO UPDATE SET value = EXCLUDED.value;
DROP TABLE seed_draw, seed_case, seed_target_draw, seed_target;
"""
