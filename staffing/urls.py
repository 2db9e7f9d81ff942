"""The staffing namespace: the core pages here, each group of pages in its own
module (staffing/urls_*.py), so that groups can grow without touching each other."""

from django.urls import path

from staffing import (
    urls_elections,
    urls_filling,
    urls_grid,
    urls_group_messages,
    urls_message_texts,
    urls_messages,
    urls_setup,
    urls_signup,
    urls_standby,
    urls_volunteers,
    views,
)
from staffing.views import checkin

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
    path("check-in/<str:token>/", checkin.check_in_page, name="check_in"),
    *urls_elections.urlpatterns,
    *urls_setup.urlpatterns,
    *urls_grid.urlpatterns,
    *urls_filling.urlpatterns,
    *urls_volunteers.urlpatterns,
    *urls_messages.urlpatterns,
    *urls_group_messages.urlpatterns,
    *urls_message_texts.urlpatterns,
    *urls_signup.urlpatterns,
    *urls_standby.urlpatterns,
]
