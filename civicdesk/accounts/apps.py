from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "civicdesk.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from civicdesk.accounts import receivers  # noqa: F401  (connects the audit receivers)
        from civicdesk.accounts.models import ApiClient, GroupMembership, Membership
        from civicdesk.core.config_generation import watch

        # API keys are kept per process until a client changes (accounts.api_keys, ADR 0021); so is
        # each user's access (roles, groups, viewer areas: accounts.permissions.access_for).
        watch(ApiClient, Membership, GroupMembership)
