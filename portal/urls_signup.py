"""Public sign-up pages: /s/<token>/ (open seats, team join)."""

from django.urls import path

from portal import signup

app_name = "signup"
urlpatterns = [
    path("<str:token>/", signup.home, name="home"),
    path("<str:token>/shift/<int:shift_id>/", signup.details, name="details"),
    path("<str:token>/join/", signup.join, name="join"),
    path("<str:token>/wait/<int:station_id>/<str:day>/", signup.wait, name="wait"),
    path("<str:token>/confirm/", signup.confirm, name="confirm"),
]
