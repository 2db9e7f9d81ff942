"""URLs of the import pages (in the exchange namespace, under /exchange/import/)."""

from django.urls import URLPattern, path

from exchange import views_import as views

urlpatterns: list[URLPattern] = [
    path("", views.start, name="import_start"),
    path("<int:job_id>/", views.mapping, name="import_mapping"),
    path("<int:job_id>/report/", views.report, name="import_report"),
    path("<int:job_id>/commit/", views.commit, name="import_commit"),
    path("<int:job_id>/refused.csv", views.refused_csv, name="import_refused"),
]
