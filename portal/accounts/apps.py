from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, agencies, officers, teams and second factors."""

    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Accounts"
