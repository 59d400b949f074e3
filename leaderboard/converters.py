"""URL converters: an id is at most 18 digits, so that a path with a larger number is simply
not found instead of overflowing the database's 64-bit integers."""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")
