from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import mfa

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="staffing:elections", permanent=False)),
    # Before allauth's own: removing the last key of a user who must use one is refused.
    path(
        "accounts/2fa/webauthn/keys/<int:pk>/remove/",
        mfa.remove_key,
        name="mfa_remove_webauthn",
    ),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("staffing.urls")),
    path("administration/", include("administration.urls")),
    path("documents/", include("documents.urls")),
    path("v/", include("portal.urls")),
    path("s/", include("portal.urls_signup")),
    path("notifications/", include("notifications.urls")),
    path("api/", include("api.urls")),
    path("exchange/", include("exchange.urls")),
    path("elections/<int:election_id>/autoassign/", include("autoassign.urls")),
]

admin.site.site_header = settings.MUNICIPALITY_NAME + " · Pollcrew"
admin.site.site_title = "Pollcrew"
