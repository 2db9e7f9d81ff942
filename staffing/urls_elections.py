"""URLs of the coordinator's pages for creating, editing, copying an election and its
lifecycle (in the staffing namespace)."""

from django.urls import URLPattern, path

from staffing.views import elections as views
from staffing.views import reinvite

urlpatterns: list[URLPattern] = [
    path("elections/new/", views.election_create, name="election_create"),
    path("elections/<int:election_id>/edit/", views.election_edit, name="election_edit"),
    path(
        "elections/<int:election_id>/status/<slug:status>/",
        views.election_status,
        name="election_status",
    ),
    path("elections/<int:election_id>/delete/", views.election_delete, name="election_delete"),
    path("elections/<int:election_id>/copy/", views.election_copy, name="election_copy"),
    path(
        "elections/<int:election_id>/reinvite/",
        reinvite.election_reinvite,
        name="election_reinvite",
    ),
    path(
        "elections/<int:election_id>/reinvite/<int:run_id>/",
        reinvite.election_reinvite_run,
        name="election_reinvite_run",
    ),
]
