"""Page numbers: ``?page=2&page_size=100`` (see docs/api.md for why not cursors)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """``?page=2&page_size=100``: a total count and pages a client can jump to
    (see docs/api.md for why page numbers rather than cursors)."""

    page_size_query_param = "page_size"

    @property
    def page_size(self) -> int:  # type: ignore[override]
        return getattr(settings, "API_PAGE_SIZE", 100)

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return getattr(settings, "API_MAX_PAGE_SIZE", 1000)
