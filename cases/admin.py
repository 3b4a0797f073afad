"""Admin: only the team routing table.

Cases, processes and targets are deliberately not in the Django admin: the admin would
bypass the case gate (``cases.selectors``) and the access log. Administrators route cases;
they do not read them.
"""

from django.contrib import admin

from cases.models import RoutingRule


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "case_type", "jurisdiction", "team")
    list_editable = ("team",)
    list_filter = ("team", "case_type")
    ordering = ("position", "pk")
