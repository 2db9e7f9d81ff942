"""The form of an office's own message text: the subject (emails) and the text,
checked against the kind's placeholders (``message_texts.text_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from staffing import message_texts as texts

MAX_BODY = 3000


class MessageTextForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Text"),
        max_length=MAX_BODY,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12}),
    )

    def __init__(self, *args: Any, target: texts.Target, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = target
        if target.is_sms:
            del self.fields["subject"]
            self.fields["body"].widget.attrs["rows"] = 5

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        subject, body = data.get("subject", ""), data.get("body", "")
        for name, problems in texts.text_errors(self.target, subject, body).items():
            for problem in problems:
                self.add_error(name if name in self.fields else None, problem)
        return data
