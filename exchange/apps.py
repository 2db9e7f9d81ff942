from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """Data in and out: spreadsheet imports (dry run, then commit through the
    services), exports of the list pages, payroll and station staffing, and the
    full data export a municipality leaves with."""

    name = "exchange"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        # Celery's autodiscovery imports exchange.tasks only; the full export's
        # tasks live beside the exit code.
        from exchange import exit_tasks  # noqa: F401
