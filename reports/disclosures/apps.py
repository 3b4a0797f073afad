from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RENDERER = "disclosure-renderer"


class DisclosuresConfig(AppConfig):
    """Signed disclosures: productions, no-records and rejection letters (issue 12)."""

    name = "reports.disclosures"
    label = "disclosures"
    verbose_name = _("Disclosures")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases.extensions import register_case_panel, register_transition_guard
        from cases.models import CaseStatus
        from portal.accounts.system import register_system_actor
        from reports.disclosures import panels, rules

        # "Disclosed" means the agency has a signed answer to each process that asked for
        # records (LEGAL.md, certification).
        register_transition_guard(target=CaseStatus.DISCLOSED, guard=rules.disclosed_needs_release)
        register_case_panel(panels.STAFF_PANEL)
        register_case_panel(panels.OFFICER_PANEL)
        # The render task renders, signs and packs released disclosures; it reads no case
        # through the gate and holds no role, so it can do nothing else.
        register_system_actor(RENDERER, roles=(), label=_("Disclosure renderer"))
        # The demo's disclosed case needs its signed answer first (cases.demo asks).
        from cases import demo as cases_demo
        from reports.disclosures.demo import demo_answer

        if demo_answer not in cases_demo.DEMO_ANSWERS:
            cases_demo.DEMO_ANSWERS.append(demo_answer)
