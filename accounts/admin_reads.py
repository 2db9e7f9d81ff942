"""Django admin pages that show personal data record who looked: opening one
record, and searching (a search returns names and contact data)."""

from __future__ import annotations

from accounts import audit


class AuditedReadsAdmin:
    """Mix into a ModelAdmin before admin.ModelAdmin. ``read_action`` names the
    event for one record; searches are "<read_action>_search"."""

    read_action = "read.record"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)
            if obj is not None:
                audit.record_read(request, self.read_action, obj)
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        query = request.GET.get("q", "")
        context = getattr(response, "context_data", None) or {}
        if query and "cl" in context:
            audit.record_read(
                request,
                f"{self.read_action}_search",
                detail={"query": query, "results": context["cl"].result_count},
            )
        return response
