from django.apps import AppConfig


class CasesConfig(AppConfig):
    """The domain: legal process, cases, targets, preservations and deadlines."""

    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        """The staff navigation's domain entries (the platform's shell knows no domain)."""
        from django.utils.translation import gettext_lazy as _

        from cases import policy
        from portal.context_processors import NavItem, nav_item_register

        nav_item_register(
            NavItem(
                _("Queue"),
                "cases:queue",
                lambda user: policy.may(user, policy.CaseCapability.WORK_CASES),
                10,
            )
        )
        nav_item_register(NavItem(_("New intake"), "cases:intake", policy.may_intake, 20))
