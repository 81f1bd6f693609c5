"""Form pieces the desk's apps share."""

from __future__ import annotations


class DateRangeMixin:
    """A ``since`` / ``until`` date filter pair: an empty range is an error on ``until``, never
    a filter that quietly matches nothing. Each form words the message its own way."""

    range_error = "must be on or after the start date"

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", self.range_error)
        return cleaned
