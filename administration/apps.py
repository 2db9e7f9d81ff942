from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdministrationConfig(AppConfig):
    """The municipality admin's pages: staff users, their roles and scopes, the audit log."""

    name = "administration"
    verbose_name = _("Administration")
