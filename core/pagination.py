from rest_framework.pagination import PageNumberPagination as _Base


class PageNumberPagination(_Base):
    """`?page=` and optional `?page_size=` (≤ 500); responses carry count/next/previous/results."""

    page_size_query_param = "page_size"
    max_page_size = 500
