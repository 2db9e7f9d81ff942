"""Auto-assign's settings pages (autoassign.views_settings), relative to the
election's auto-assign prefix ``elections/<int:election_id>/autoassign/`` in the
``autoassign`` namespace: ``autoassign:settings``, ``autoassign:settings_rule_add``,
``autoassign:settings_rule_delete``. Spread into autoassign/urls.py
(``*urls_settings.urlpatterns``), as staffing's groups of pages are."""

from django.urls import URLPattern, path

from autoassign import views_settings as views

urlpatterns: list[URLPattern] = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/rules/add/", views.rule_add, name="settings_rule_add"),
    path(
        "settings/rules/<int:rule_id>/delete/",
        views.rule_delete,
        name="settings_rule_delete",
    ),
]
