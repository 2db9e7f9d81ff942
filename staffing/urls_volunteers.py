"""URLs of the coordinator's pages for the volunteer list, a volunteer's page, create,
edit and merge (in the staffing namespace)."""

from django.urls import URLPattern, path

from staffing.views import volunteers

urlpatterns: list[URLPattern] = [
    path("volunteers/", volunteers.volunteer_list, name="volunteers"),
    path("volunteers/new/", volunteers.volunteer_create, name="volunteer_create"),
    path("volunteers/<int:volunteer_id>/", volunteers.volunteer_detail, name="volunteer"),
    path("volunteers/<int:volunteer_id>/edit/", volunteers.volunteer_edit, name="volunteer_edit"),
    path(
        "volunteers/<int:volunteer_id>/merge/", volunteers.volunteer_merge, name="volunteer_merge"
    ),
]
