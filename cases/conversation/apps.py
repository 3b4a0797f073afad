from django.apps import AppConfig


class ConversationConfig(AppConfig):
    """One thread per request between the agency's officers and the staff working it."""

    name = "cases.conversation"
    label = "conversation"
    verbose_name = "Conversation"

    def ready(self) -> None:
        from cases.conversation import panels, services
        from cases.extensions import register_case_panel, register_transition_effect
        from cases.models import CaseStatus

        # "Needs information" asks the agency a question in the thread, which it answers.
        register_transition_effect(
            target=CaseStatus.NEEDS_INFO, effect=services.question_from_transition
        )
        register_case_panel(panels.STAFF_PANEL)
        register_case_panel(panels.OFFICER_PANEL)
