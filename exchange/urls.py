from django.urls import include, path

app_name = "exchange"

# Imports and exports are two groups of pages, one URL module each.
urlpatterns = [
    path("import/", include("exchange.urls_import")),
    path("export/", include("exchange.urls_export")),
]
