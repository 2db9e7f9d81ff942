"""URLs of the coordinator's pages for the volunteer list, a volunteer's page, create,
edit and merge, and the person's wishes per election (in the staffing namespace)."""

from django.urls import URLPattern, path

from staffing.views import preferences, volunteers

urlpatterns: list[URLPattern] = [
    path("volunteers/", volunteers.volunteer_list, name="volunteers"),
    path("volunteers/new/", volunteers.volunteer_create, name="volunteer_create"),
    path("volunteers/<int:volunteer_id>/", volunteers.volunteer_detail, name="volunteer"),
    path("volunteers/<int:volunteer_id>/edit/", volunteers.volunteer_edit, name="volunteer_edit"),
    path(
        "volunteers/<int:volunteer_id>/merge/", volunteers.volunteer_merge, name="volunteer_merge"
    ),
    path(
        "volunteers/<int:volunteer_id>/wishes/",
        preferences.volunteer_preferences,
        name="volunteer_preferences",
    ),
    path(
        "volunteers/<int:volunteer_id>/wishes/<int:election_id>/",
        preferences.volunteer_preference,
        name="volunteer_preference",
    ),
]
