from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransparencyConfig(AppConfig):
    """Transparency reports (law-enforcement requests, EU DSA orders) and the supervisors'
    operations dashboard. Reads the cases domain; the domain never imports it."""

    name = "reports.transparency"
    label = "transparency"
    verbose_name = _("Transparency reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases.extensions import register_transition_effect
        from portal.context_processors import NavItem, nav_item_register
        from reports.transparency import access
        from reports.transparency.outcomes import OUTCOMES, case_outcome_record

        for outcome in OUTCOMES:  # the figures' record of how each case ended
            register_transition_effect(target=outcome, effect=case_outcome_record)

        nav_item_register(
            NavItem(_("Dashboard"), "transparency:dashboard", access.may_see_dashboard, 15)
        )
        nav_item_register(
            NavItem(_("Transparency"), "transparency:report", access.may_see_figures, 35)
        )
