from rest_framework import pagination


class Pagination(pagination.LimitOffsetPagination):
    """?limit= and ?offset=: a limit above max_limit is cut to it, nonsense falls back to 100,
    and an offset past any real table is cut too (the database's integers are 64-bit)."""

    max_limit = 500
    max_offset = 2**62

    def get_offset(self, request):
        return min(super().get_offset(request), self.max_offset)
