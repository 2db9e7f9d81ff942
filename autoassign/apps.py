from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutoassignConfig(AppConfig):
    """Auto-assign: a staffing proposal for every open seat, from a MIP solved by
    HiGHS, reviewed and adjusted by the coordinator, then sent as invitations in
    waves through the staffing services."""

    name = "autoassign"
    verbose_name = _("Auto-assign")
