"""What the desk's record lists share: a page of records with the query string its page links
keep, and a CSV export streamed row by row (an export can be far longer than a page)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import StreamingHttpResponse


@dataclass(frozen=True)
class DateRange:
    """The from / to dates of a list's filters, both ends included, either one open. A list's
    own filters dataclass extends it with its other fields."""

    since: date | None = None
    until: date | None = None

    def dates_filter(self, qs: QuerySet, field: str) -> QuerySet:
        """``qs`` narrowed to the rows whose ``field`` (a datetime) falls on those dates (UTC).
        Ranges of times, not ``__date`` lookups, so an index on ``field`` is used."""
        if self.since:
            qs = qs.filter(**{f"{field}__gte": day_start(self.since)})
        if self.until and self.until < date.max:  # to the last date there is: no upper end
            qs = qs.filter(**{f"{field}__lt": day_start(self.until + timedelta(days=1))})
        return qs


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def page_of(request, records, per_page: int) -> tuple[Page, str]:
    """The page asked for, and the query without ``page`` so its links keep the filters."""
    page = Paginator(records, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


class _Echo:
    """A file for ``csv.writer`` that hands each line back instead of buffering it."""

    def write(self, value):
        return value


def csv_download(
    records: Iterable, *, columns: list[str], row: Callable[[object], list], filename: str
) -> StreamingHttpResponse:
    """``records`` as a CSV attachment, one ``row(record)`` a line under ``columns``."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(columns)
        for record in records:
            yield writer.writerow(row(record))

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
