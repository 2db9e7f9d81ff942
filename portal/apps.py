from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The volunteer's pages behind a personal link: no login, no account."""

    name = "portal"
    verbose_name = _("Volunteer pages")
