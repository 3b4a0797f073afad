"""NCMEC CyberTipline reports: which server, the reporter and the schema (imported by
``portal.settings``)."""

from __future__ import annotations

from pathlib import Path

from portal.settings_parts.environment import BASE_DIR, PRODUCTION, env

# --- NCMEC CyberTipline (reports/cybertip, docs/decisions/0021-cybertipline-reports.md) ------
# Which NCMEC server reports go to: "local" (the project's test server at
# LIAISON_CYBERTIP_URL), "test" (NCMEC's exttest) or "production". Production is refused
# unless LIAISON_ENV=production AND LIAISON_CYBERTIP_ALLOW_PRODUCTION is on, so no demo or
# test install can ever reach NCMEC's production server.
LIAISON_CYBERTIP_ENVIRONMENT = env.str("LIAISON_CYBERTIP_ENVIRONMENT", default="local")
LIAISON_CYBERTIP_ALLOW_PRODUCTION = env.bool("LIAISON_CYBERTIP_ALLOW_PRODUCTION", default=False)
LIAISON_CYBERTIP_URL = env.str("LIAISON_CYBERTIP_URL", default="http://127.0.0.1:8102/ispws")
LIAISON_CYBERTIP_USERNAME = env.str("LIAISON_CYBERTIP_USERNAME", default="liaison-demo")
LIAISON_CYBERTIP_PASSWORD = env.str("LIAISON_CYBERTIP_PASSWORD", default="liaison-demo")
LIAISON_CYBERTIP_TIMEOUT_SECONDS = env.float("LIAISON_CYBERTIP_TIMEOUT_SECONDS", default=30.0)
# A report in flight with no step for this long has lost its task; beat queues it again.
LIAISON_CYBERTIP_REDRIVE_AFTER_SECONDS = env.int(
    "LIAISON_CYBERTIP_REDRIVE_AFTER_SECONDS", default=900
)
# The schema reports are validated against; drop NCMEC's live /xsd here to follow a revision.
LIAISON_CYBERTIP_XSD = Path(
    env.str(
        "LIAISON_CYBERTIP_XSD",
        default=str(BASE_DIR / "reports" / "cybertip" / "schema" / "cyber_tipline.xsd"),
    )
)
# The reporter (required e-mail, 2258A(h)(1) receipt goes to it) and an optional contact.
LIAISON_CYBERTIP_REPORTER = {
    "first_name": env.str("LIAISON_CYBERTIP_REPORTER_FIRST_NAME", default=""),
    "last_name": env.str("LIAISON_CYBERTIP_REPORTER_LAST_NAME", default=""),
    "email": env.str(
        "LIAISON_CYBERTIP_REPORTER_EMAIL",
        default="" if PRODUCTION else "child-safety@provider.example.com",
    ),
    "phone": env.str("LIAISON_CYBERTIP_REPORTER_PHONE", default=""),
}
LIAISON_CYBERTIP_CONTACT = {
    "first_name": env.str("LIAISON_CYBERTIP_CONTACT_FIRST_NAME", default=""),
    "last_name": env.str("LIAISON_CYBERTIP_CONTACT_LAST_NAME", default=""),
    "email": env.str("LIAISON_CYBERTIP_CONTACT_EMAIL", default=""),
    "phone": env.str("LIAISON_CYBERTIP_CONTACT_PHONE", default=""),
}
LIAISON_CYBERTIP_PLATFORM = env.str("LIAISON_CYBERTIP_PLATFORM", default="Example Platform")
# Teams whose child-safety cases the submitter (a system actor) may work.
LIAISON_CYBERTIP_TEAMS = env.list("LIAISON_CYBERTIP_TEAMS", default=["default", "child-safety"])
