"""URLs of the coordinator's pages for areas, polling stations and roles (in the
staffing namespace): the reference data every election uses."""

from django.urls import URLPattern, path

from staffing.views import setup

urlpatterns: list[URLPattern] = [
    path("setup/areas/", setup.areas, name="setup_areas"),
    path("setup/areas/new/", setup.area_create, name="setup_area_create"),
    path("setup/areas/<int:area_id>/", setup.area_edit, name="setup_area_edit"),
    path("setup/areas/<int:area_id>/move/", setup.area_move, name="setup_area_move"),
    path("setup/areas/<int:area_id>/delete/", setup.area_delete, name="setup_area_delete"),
    path("setup/stations/", setup.stations, name="setup_stations"),
    path("setup/stations/new/", setup.station_create, name="setup_station_create"),
    path("setup/stations/<int:station_id>/", setup.station_edit, name="setup_station_edit"),
    path("setup/stations/<int:station_id>/move/", setup.station_move, name="setup_station_move"),
    path(
        "setup/stations/<int:station_id>/delete/",
        setup.station_delete,
        name="setup_station_delete",
    ),
    path("setup/roles/", setup.roles, name="setup_roles"),
    path("setup/roles/new/", setup.role_create, name="setup_role_create"),
    path("setup/roles/<int:role_id>/", setup.role_edit, name="setup_role_edit"),
    path("setup/roles/<int:role_id>/move/", setup.role_move, name="setup_role_move"),
    path("setup/roles/<int:role_id>/delete/", setup.role_delete, name="setup_role_delete"),
]
