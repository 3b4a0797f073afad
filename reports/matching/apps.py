from django.apps import AppConfig


class MatchingConfig(AppConfig):
    """Known-image matching: hash lists, the PDQ index, the match API and what a hit opens."""

    name = "reports.matching"
    label = "matching"
    verbose_name = "Known-image matching"

    def ready(self) -> None:
        """The matcher's system actor (it opens child-safety cases) and the staff navigation."""
        from django.utils.translation import gettext_lazy as _

        from cases.extensions import CasePanel, register_case_panel
        from portal.accounts.roles import Role
        from portal.accounts.system import register_system_actor
        from portal.context_processors import NavItem, nav_item_register
        from reports.matching import panels, selectors

        register_system_actor(
            selectors.MATCHER_ACTOR,
            roles=frozenset({Role.CHILD_SAFETY}),
            label=_("Known-image matcher"),
            teams=(selectors.MATCHER_TEAM,),
        )
        register_case_panel(
            CasePanel(
                name="matching",
                template="matching/panel.html",
                context=panels.case_panel_context,
                column="main",
                order=40,
            )
        )
        nav_item_register(
            NavItem(_("Hash lists"), "matching:lists", selectors.may_manage_lists, 60)
        )
