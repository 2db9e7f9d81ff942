"""Render form widgets with the design system's (DKFDS) classes."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundWidget
from django.utils.html import format_html
from django.utils.safestring import SafeString

from pollcrew.phones import display_phone

register = template.Library()


def _css_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-checkbox"
    if isinstance(widget, forms.RadioSelect):
        return "form-radio"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-input"


@register.filter
def ds_radios(field: forms.BoundField) -> list[BoundWidget]:
    """``{% for radio in field|ds_radios %}{{ radio.tag }}…``: a radio field's options,
    each input with DKFDS's class (the design system hides a bare input and draws the
    circle on the label that follows it, so an input without the class shows none)."""
    attrs: dict[str, object] = {"class": "form-radio"}
    id_ = field.field.widget.attrs.get("id") or field.auto_id
    if id_:
        attrs["id"] = id_
    if field.help_text:
        attrs["aria-describedby"] = f"{field.auto_id}_hint"
    attrs = field.build_widget_attrs(attrs)
    widget = field.field.widget
    return [
        BoundWidget(widget, option, field.form.renderer)
        for option in widget.subwidgets(field.html_name, field.value(), attrs=attrs)
    ]


@register.filter
def ds_widget(field: forms.BoundField) -> SafeString:
    """``{{ field|ds_widget }}``: the widget with its DKFDS class and ARIA links
    to the field's hint and error."""
    attrs = {"class": _css_class(field.field.widget)}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_hint")
    if field.errors:
        described.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def phone(value: str) -> str:
    """``{{ volunteer.phone|phone }}``: +4520123456 shown as +45 20 12 34 56."""
    return display_phone(value) if value else ""


@register.filter
def bdi(value: object) -> SafeString:
    """``{{ station.name|bdi }}``: user text isolated for bidirectional display,
    so that it cannot reorder the text around it (and escaped)."""
    return format_html("<bdi>{}</bdi>", "" if value is None else value)


@register.filter
def isolated(value: object) -> str:
    """``{{ station.name|isolated }}``: user text between Unicode isolates
    (FSI … PDI), for plain-text places where <bdi> cannot go (a PDF's running
    footer made from an attribute). Still escaped by the template."""
    return f"\N{FIRST STRONG ISOLATE}{'' if value is None else value}\N{POP DIRECTIONAL ISOLATE}"
