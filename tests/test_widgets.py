"""pollcrew.widgets.QuickSelect writes the markup Django's Select renders with
templates: same options, same selected one, same attributes, all escaped."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django import forms

from pollcrew.widgets import QuickSelect

CHOICES = [("", "All <areas>"), ("1", "Nord & Syd"), ("2", 'Øst "Ø"')]


class Parsed(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.items: list[tuple] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.items.append((tag, tuple(sorted(attrs, key=lambda a: a[0]))))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", data.strip()))


class Form(forms.Form):
    quick = forms.ChoiceField(choices=CHOICES, widget=QuickSelect, required=False)
    plain = forms.ChoiceField(choices=CHOICES, required=False)


@pytest.mark.parametrize("data", [{"quick": "2", "plain": "2"}, {}, {"quick": "x", "plain": "x"}])
def test_quick_select_renders_what_select_renders(data):
    form = Form(data)
    form.is_valid()
    attrs = {"class": "form-select"}
    quick = str(form["quick"].as_widget(attrs=attrs)).replace("quick", "field")
    plain = str(form["plain"].as_widget(attrs=attrs)).replace("plain", "field")
    assert Parsed(quick).items == Parsed(plain).items
    assert "All &lt;areas&gt;" in quick and "Nord &amp; Syd" in quick
