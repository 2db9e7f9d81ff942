from django.urls import path

from administration import views, views_webhooks

app_name = "administration"
urlpatterns = [
    path("staff/", views.staff_list, name="staff"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:user_id>/", views.staff_user, name="staff_user"),
    path("staff/<int:user_id>/revoke/<str:role>/", views.staff_revoke, name="staff_revoke"),
    path("staff/<int:user_id>/active/", views.staff_set_active, name="staff_set_active"),
    path(
        "staff/<int:user_id>/sign-out-everywhere/",
        views.staff_sign_out_everywhere,
        name="staff_sign_out_everywhere",
    ),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("organisation/", views.organisation, name="organisation"),
    path("organisation-logo/", views.organisation_logo, name="organisation_logo"),
    path("webhooks/", views_webhooks.webhooks, name="webhooks"),
    path("webhooks/new/", views_webhooks.webhook_create, name="webhook_create"),
    path("webhooks/<int:endpoint_id>/", views_webhooks.webhook, name="webhook"),
    path(
        "webhooks/<int:endpoint_id>/secret/", views_webhooks.webhook_secret, name="webhook_secret"
    ),
    path(
        "webhooks/<int:endpoint_id>/delete/", views_webhooks.webhook_delete, name="webhook_delete"
    ),
    path("webhooks/<int:endpoint_id>/test/", views_webhooks.webhook_test, name="webhook_test"),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        views_webhooks.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
