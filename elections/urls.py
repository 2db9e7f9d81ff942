from django.urls import path

from elections import views

app_name = "elections"
urlpatterns = [
    path("", views.election_list, name="list"),
    path("<int:election_id>/", views.election_board, name="board"),
]
