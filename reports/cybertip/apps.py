from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CybertipConfig(AppConfig):
    """NCMEC CyberTipline reports (18 USC 2258A): build, validate, file, archive."""

    name = "reports.cybertip"
    label = "cybertip"
    verbose_name = _("CyberTipline reports")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from cases.extensions import CasePanel, register_case_panel
        from portal.accounts.roles import Capability, Role, has_capability
        from portal.accounts.system import register_system_actor
        from portal.context_processors import NavItem, nav_item_register
        from reports.cybertip.panels import case_panel_context

        # The worker that files reports: it works child-safety cases of the teams that
        # hold them (the case gate is per team) and nothing else.
        register_system_actor(
            SUBMITTER,
            roles={Role.CHILD_SAFETY},
            label=_("CyberTipline submitter"),
            teams=tuple(settings.LIAISON_CYBERTIP_TEAMS),
        )
        register_case_panel(
            CasePanel(
                name="cybertip",
                template="cybertip/panel.html",
                context=case_panel_context,
                column="main",
                order=20,
            )
        )
        # Officers: what the provider sent their agency in an emergency (officer:referrals).
        nav_item_register(
            NavItem(
                _("Urgent referrals"),
                "officer:referrals",
                lambda user: has_capability(user, Capability.SUBMIT_REQUESTS),
                35,
            )
        )


SUBMITTER = "cybertip-submitter"
