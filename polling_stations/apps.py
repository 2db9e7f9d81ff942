from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PollingStationsConfig(AppConfig):
    name = "polling_stations"
    verbose_name = _("Polling stations")
