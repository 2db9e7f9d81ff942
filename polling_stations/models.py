from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    """A district of the municipality (opstillingskreds / afstemningsområde group)."""

    name = models.CharField(_("name"), max_length=200)
    sort_order = models.PositiveIntegerField(
        _("sort order"), default=100, help_text=_("Lower numbers come first.")
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                name="area_unique_name",
                violation_error_message=_("An area with this name exists already."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class PollingStation(models.Model):
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="stations", verbose_name=_("area")
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    postal_code = models.CharField(_("postal code"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    capacity_note = models.TextField(
        _("capacity note"), blank=True, help_text=_("Rooms, voting booths, access, parking…")
    )
    manager_contact = models.CharField(_("station manager contact"), max_length=300, blank=True)
    accessibility = models.TextField(
        _("accessibility"),
        blank=True,
        help_text=_("Step-free access, accessible toilet, parking for disabled people…"),
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("For the election office only."))
    sort_order = models.PositiveIntegerField(
        _("sort order"), default=100, help_text=_("Lower numbers come first within the area.")
    )
    latitude = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        help_text=_("Where the station is, for “near home”. Empty: the postal code's centre."),
    )
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("polling station")
        verbose_name_plural = _("polling stations")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "name"],
                name="station_unique_name_per_area",
                violation_error_message=_(
                    "This area has a polling station with this name already."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(latitude__isnull=True, longitude__isnull=True)
                    | models.Q(latitude__range=(-90, 90), longitude__range=(-180, 180))
                ),
                name="station_position_valid",
                violation_error_message=_(
                    "Give both latitude (-90 to 90) and longitude (-180 to 180), or neither."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_address(self) -> str:
        return f"{self.address}, {self.postal_code} {self.city}"


class PostalCode(models.Model):
    """The centre of a postal code area, so that "near home" can be measured from a
    volunteer's postal code to a station. Loaded from a file of the national
    address register with ``manage.py load_postal_codes``."""

    code = models.CharField(_("postal code"), max_length=10, primary_key=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))

    class Meta:
        verbose_name = _("postal code")
        verbose_name_plural = _("postal codes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__range=(-90, 90), longitude__range=(-180, 180)),
                name="postal_code_position_valid",
                violation_error_message=_("Latitude must be -90 to 90 and longitude -180 to 180."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()
