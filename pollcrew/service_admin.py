"""Django admin pages whose writes go through the services, like every other page.

A ``ServiceAdmin`` names the service calls for create, update and delete. When
the form is submitted, the call is first made in a transaction that is rolled
back (a dry run), so the service's own rules decide and a refusal becomes a form
error, with the service's message; then ``save_model`` makes the call for real.
No rule is written twice, and every admin write has its audit entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from pollcrew.refusals import Refused


class _RolledBack(Exception):
    pass


def dry_run(call: Callable[[], Any]) -> None:
    """Make ``call`` and undo it: its checks run, its writes and its on-commit
    actions (messages) are discarded. A refusal surfaces as ValidationError."""
    try:
        with transaction.atomic():
            call()
            raise _RolledBack
    except _RolledBack:
        pass
    except Refused as refusal:
        raise ValidationError(refusal.message, code=refusal.code) from None


def _on_form(error: ValidationError, fields: dict[str, Any]) -> ValidationError:
    """Errors for fields the form does not show go to the top of the form."""
    if not hasattr(error, "error_dict"):
        return error
    placed: dict[str, list[ValidationError]] = {}
    for name, errors in error.error_dict.items():
        key = name if name in fields else NON_FIELD_ERRORS
        placed.setdefault(key, []).extend(errors)
    return ValidationError(placed)


class ServiceAdmin(admin.ModelAdmin):
    """Override ``create``, ``update`` and ``delete`` with service calls."""

    def create(self, request: HttpRequest, fields: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def update(
        self, request: HttpRequest, obj: models.Model, changes: dict[str, Any], form: forms.Form
    ) -> models.Model:
        raise NotImplementedError

    def delete(self, request: HttpRequest, obj: models.Model) -> None:
        raise NotImplementedError

    # -- wiring ---------------------------------------------------------------------

    def _fields(self, form: forms.ModelForm, change: bool) -> dict[str, Any]:
        model_fields = {f.name for f in form._meta.model._meta.get_fields()}
        names = form.changed_data if change else list(form.cleaned_data)
        return {
            name: form.cleaned_data[name]
            for name in names
            if name in model_fields and name in form.cleaned_data
        }

    def _call(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> models.Model:
        fields = self._fields(form, change)
        if change:
            original = type(form.instance)._default_manager.get(pk=form.instance.pk)
            if not fields:
                return original  # saved without changes: nothing to do or record
            return self.update(request, original, fields, form)
        return self.create(request, fields)

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change, **kwargs)
        model_admin = self

        class ServiceForm(base):  # type: ignore[misc, valid-type]
            def clean(self):
                cleaned = super().clean()
                if not self._errors:
                    try:
                        dry_run(lambda: model_admin._call(request, self, change))
                    except ValidationError as error:
                        raise _on_form(error, self.fields) from None
                return cleaned

            def _post_clean(self):
                # The service validates the whole object (full_clean) itself.
                self.instance = forms.models.construct_instance(
                    self, self.instance, self._meta.fields, self._meta.exclude
                )

        return ServiceForm

    def save_model(self, request, obj, form, change) -> None:
        saved = self._call(request, form, change)
        obj.pk = saved.pk  # the admin's log entry and redirect use it

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The dry run decided in the form; if something changed between it and the
        # real call (someone else's write), the refusal comes here: the admin's own
        # transaction is rolled back and the page says why, instead of a 500.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refusal:
            messages.error(request, refusal.message)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change) -> None:
        # Many-to-many fields went to the service with the other fields.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj) -> None:
        self.delete(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete(request, obj)

    def delete_view(self, request, object_id, extra_context=None) -> HttpResponse:
        try:
            with transaction.atomic():
                return super().delete_view(request, object_id, extra_context)
        except Refused as refusal:
            messages.error(request, refusal.message)
            return HttpResponseRedirect(request.path.rsplit("/delete/", 1)[0] + "/change/")

    def response_action(self, request, queryset):
        try:
            # One transaction: a refused bulk delete leaves no false history behind.
            with transaction.atomic():
                return super().response_action(request, queryset)
        except Refused as refusal:
            messages.error(request, refusal.message)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never written through the admin: the services write these rows
    (assignments, personal links), or nobody does (the outbox, the audit log).
    Actions that call services may still be offered."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
