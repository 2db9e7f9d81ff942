from django.urls import path

from volunteers import staff_views

app_name = "staffing"
urlpatterns = [
    path(
        "<int:election_id>/stations/<int:station_id>/",
        staff_views.station_detail,
        name="station",
    ),
    path(
        "<int:election_id>/shifts/<int:shift_id>/invite/", staff_views.shift_invite, name="invite"
    ),
]
