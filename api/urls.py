"""/api/: the token pages for staff, and the REST API under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from api import pages
from api.views import assignments, docs, messages, people, reference

app_name = "api"

router = SimpleRouter()
router.register("elections", reference.ElectionViewSet, basename="election")
router.register("areas", reference.AreaViewSet, basename="area")
router.register("stations", reference.StationViewSet, basename="station")
router.register("roles", reference.RoleViewSet, basename="role")
router.register("shifts", reference.ShiftViewSet, basename="shift")
router.register("teams", people.TeamViewSet, basename="team")
router.register("volunteers", people.VolunteerViewSet, basename="volunteer")
router.register("assignments", assignments.AssignmentViewSet, basename="assignment")
router.register("messages", messages.MessageViewSet, basename="message")
router.register("group-messages", messages.GroupMessageViewSet, basename="group-message")

urlpatterns = [
    path("tokens/", pages.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", pages.revoke, name="token_revoke"),
    path("v1/schema/", docs.SchemaView.as_view(), name="schema"),
    path("v1/docs/", docs.DocsView.as_view(), name="docs"),
    path("v1/", include(router.urls)),
]
