"""The shared field template (templates/_field.html) draws radio buttons the design
system can see: DKFDS hides a bare radio input and draws its circle on the label
after an input of class form-radio, so an option without the class is invisible."""

from __future__ import annotations

import re

from django import forms
from django.template.loader import render_to_string


class KindForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        help_text="Pick one",
        choices=[("a", "Volunteers <&>"), ("b", "Roles")],
        widget=forms.RadioSelect,
    )


def test_a_radio_field_is_a_fieldset_of_visible_options():
    form = KindForm(data={})
    form.is_valid()
    html = render_to_string("_field.html", {"field": form["kind"]})
    assert "<legend" in html and "What the file holds" in html
    inputs = re.findall(r"<input[^>]*>", html)
    assert len(inputs) == 2
    for tag in inputs:
        assert 'class="form-radio"' in tag
        assert 'aria-describedby="id_kind_hint"' in tag
    # Each option's label follows its input (DKFDS's sibling selector), escaped.
    assert re.search(r'id="id_kind_0"[^>]*>\s*<label class="form-label" for="id_kind_0">', html)
    assert "Volunteers &lt;&amp;&gt;" in html
    assert "This field is required." in html  # the error is shown with the legend
