from django.urls import path

from elections import views

app_name = "elections"
urlpatterns = [
    path("", views.election_list, name="list"),
    path("<int:election_id>/", views.election_board, name="board"),
    path("<int:election_id>/stations/<int:station_id>/", views.station_detail, name="station"),
    path("<int:election_id>/shifts/<int:shift_id>/invite/", views.shift_invite, name="invite"),
]
