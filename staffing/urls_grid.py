"""URLs of the coordinator's pages for the seat grid (in the staffing namespace)."""

from django.urls import URLPattern, path

from staffing.views import grid

urlpatterns: list[URLPattern] = [
    path("elections/<int:election_id>/grid/", grid.seat_grid, name="grid"),
    path(
        "elections/<int:election_id>/grid/<int:station_id>/<int:role_id>/",
        grid.seat_grid_cell,
        name="grid_cell",
    ),
]
