"""The office's pages for sign-up links and sign-ups awaiting approval."""

from django.urls import URLPattern, path

from staffing.views import signup as views

_ELECTION = "elections/<int:election_id>/"

urlpatterns: list[URLPattern] = [
    path(f"{_ELECTION}signup-links/", views.signup_links, name="signup_links"),
    path(
        f"{_ELECTION}signup-links/<int:link_id>/revoke/",
        views.revoke_signup_link,
        name="revoke_signup_link",
    ),
    path(
        f"{_ELECTION}signups/<int:assignment_id>/approve/",
        views.approve_signup,
        name="approve_signup",
    ),
    path(
        f"{_ELECTION}signups/<int:assignment_id>/refuse/",
        views.refuse_signup,
        name="refuse_signup",
    ),
]
