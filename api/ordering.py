"""``?ordering=``, always ending with the id: pages never overlap on ties."""

from __future__ import annotations

from typing import Any

from rest_framework.filters import OrderingFilter


class StableOrdering(OrderingFilter):
    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering or self.get_query_param(request) is None:
            return ordering  # the view's own order (already stable)
        if not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering = [*ordering, "pk"]
        return ordering

    def get_query_param(self, request: Any) -> str | None:
        return request.query_params.get(self.ordering_param)
