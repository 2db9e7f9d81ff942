from django.urls import path

from staffing import views

app_name = "staffing"
urlpatterns = [
    path("elections/", views.election_list, name="elections"),
    path("elections/<int:election_id>/", views.election_board, name="board"),
    path(
        "elections/<int:election_id>/stations/<int:station_id>/",
        views.station_detail,
        name="station",
    ),
    path(
        "elections/<int:election_id>/shifts/<int:shift_id>/invite/",
        views.shift_invite,
        name="invite",
    ),
    path("teams/<int:team_id>/", views.team_detail, name="team"),
]
