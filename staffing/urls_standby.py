"""The office's pages for standby lists (staffing.views.standby)."""

from django.urls import URLPattern, path

from staffing.views import standby as views

urlpatterns: list[URLPattern] = [
    path("elections/<int:election_id>/standby/", views.standby_list, name="standby"),
    path(
        "elections/<int:election_id>/standby/settings/",
        views.standby_settings,
        name="standby_settings",
    ),
    path("elections/<int:election_id>/standby/pause/", views.standby_pause, name="standby_pause"),
    path(
        "elections/<int:election_id>/standby/<int:entry_id>/remove/",
        views.standby_remove,
        name="standby_remove",
    ),
]
