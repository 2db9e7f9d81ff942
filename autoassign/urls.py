"""The auto-assign pages of an election, relative to ``elections/<int:election_id>/autoassign/``
(pollcrew/urls.py includes this module there), in the ``autoassign`` namespace.
The settings pages are in autoassign/urls_settings.py."""

from django.urls import path

from autoassign import urls_settings, views

app_name = "autoassign"
P = "<int:proposal_id>/"
ROW = P + "rows/<int:row_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("run/", views.run, name="run"),
    path(P, views.proposal_page, name="proposal"),
    path(P + "stations/<int:station_id>/", views.station, name="station"),
    path(P + "left-out/", views.left_out, name="left_out"),
    path(P + "accept/", views.accept, name="accept"),
    path(P + "wave/", views.wave, name="wave"),
    path(P + "discard/", views.discard, name="discard"),
    path(ROW + "lock/", views.row_lock, name="row_lock"),
    path(ROW + "drop/", views.row_drop, name="row_drop"),
    path(ROW + "swap/", views.row_swap, name="row_swap"),
    *urls_settings.urlpatterns,
]
