from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    path(
        "elections/<int:election_id>/stations/<int:station_id>/roster-<str:day>.pdf",
        views.roster,
        name="roster",
    ),
    path(
        "elections/<int:election_id>/stations/<int:station_id>/signin-<str:day>.pdf",
        views.signin,
        name="signin",
    ),
    path(
        "elections/<int:election_id>/stations/<int:station_id>/badges.pdf",
        views.badges,
        name="badges",
    ),
    path(
        "elections/<int:election_id>/assignments/<int:assignment_id>/letter.pdf",
        views.letter,
        name="letter",
    ),
    path(
        "elections/<int:election_id>/volunteers/<int:volunteer_id>/invitation.pdf",
        views.invitation,
        name="invitation",
    ),
    path("elections/<int:election_id>/print/", views.print_page, name="print"),
    path("jobs/<int:job_id>/", views.job_page, name="job"),
    path("jobs/<int:job_id>/download/", views.job_download, name="job_download"),
]
