from django.urls import path

from exchange import views_export as views

# Included at /exchange/export/ (namespace "exchange").
_E = "elections/<int:election_id>/"
urlpatterns = [
    path(f"{_E}board/", views.export_board, name="export_board"),
    path(f"{_E}assignments/", views.export_assignments, name="export_assignments"),
    path(f"{_E}messages/", views.export_messages, name="export_messages"),
    path(f"{_E}payroll/", views.export_payroll, name="export_payroll"),
    path(f"{_E}station-staffing/", views.export_station_staffing, name="export_station_staffing"),
    path("volunteers/", views.export_volunteers, name="export_volunteers"),
    path("all/", views.export_all, name="export_all"),
    path("all/<str:token>/", views.export_all_job, name="export_all_job"),
    path("all/<str:token>/download/", views.export_all_download, name="export_all_download"),
]
