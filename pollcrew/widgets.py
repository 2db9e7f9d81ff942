"""Form widgets that render long lists without a template per item."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

SELECTED = mark_safe(" selected")  # a constant attribute


class QuickSelect(forms.Select):
    """A ``<select>`` written in Python: the same markup as Django's ``Select``
    (its attributes, the selected option) without a template or an option dict
    per choice. For choices by the hundred on busy pages (the board's area filter
    at national scale: 92 areas). Option groups are not supported."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (choice, SELECTED if str(choice) in selected else "", label)
                for choice, label in self.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )
