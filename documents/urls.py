from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    path(
        "elections/<int:election_id>/stations/<int:station_id>/roster-<str:day>.pdf",
        views.roster,
        name="roster",
    ),
]
