"""When a schedule fires next, in its own time zone, correct across DST changes.

Rules are wall-clock rules ("every day at 09:00 New York time") except "every N hours", which is
elapsed time. A wall time that does not exist (the spring-forward gap) fires at the same instant
the clock jumps to, e.g. 02:30 → 03:30 EDT; a wall time that happens twice (fall back) fires on
its first occurrence only. Every function returns aware UTC datetimes.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_YEARS_AHEAD = 5
# "Every N hours / days" fires at least once in the horizon the other rules are searched over.
MAX_EVERY = {"hourly": 24 * 365 * MAX_YEARS_AHEAD, "daily": 365 * MAX_YEARS_AHEAD}


class RecurrenceError(ValueError):
    """A rule that cannot fire (bad cron field, impossible combination)."""


@dataclass(frozen=True)
class Rule:
    kind: str  # once | hourly | daily | weekly | monthly | cron
    tz: ZoneInfo
    starts_at: datetime  # aware; the first run (once) or the anchor of the rule
    every: int = 1
    weekdays: frozenset[int] = field(default_factory=frozenset)  # 0 = Monday
    monthday: int | None = None
    cron: str = ""

    @property
    def time_of_day(self) -> time:
        return self.starts_at.astimezone(self.tz).time().replace(second=0, microsecond=0)


def rule_check(rule: Rule) -> None:
    """Refuse a step longer than the horizon: the run after the first could not be found."""
    limit = MAX_EVERY.get(rule.kind)
    if limit is not None and not 1 <= rule.every <= limit:
        unit = "hours" if rule.kind == "hourly" else "days"
        raise RecurrenceError(
            f"every N {unit}: N must be 1–{limit} ({MAX_YEARS_AHEAD} years at most)"
        )


def wall_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant a wall clock in ``tz`` shows ``day at``, resolving DST as described above."""
    local = datetime.combine(day, at, tzinfo=tz)  # fold=0: pre-transition offset in a gap
    return local.astimezone(UTC)


def next_after(rule: Rule, after: datetime) -> datetime | None:
    """The first firing strictly after ``after``; None once a one-off has passed."""
    after = after.astimezone(UTC)
    if rule.kind == "once":
        at = rule.starts_at.astimezone(UTC)
        return at if at > after else None
    if rule.kind == "hourly":
        return _next_hourly(rule, after)
    if rule.kind == "cron":
        return _next_cron(rule, after)
    return _next_by_day(rule, after, _day_matcher(rule))


def _next_hourly(rule: Rule, after: datetime) -> datetime:
    step = timedelta(hours=rule.every)
    anchor = rule.starts_at.astimezone(UTC)
    if after < anchor:
        return anchor
    return anchor + step * ((after - anchor) // step + 1)


def _day_matcher(rule: Rule):
    anchor_day = rule.starts_at.astimezone(rule.tz).date()
    if rule.kind == "daily":
        return lambda d: d >= anchor_day and (d - anchor_day).days % rule.every == 0
    if rule.kind == "weekly":
        if not rule.weekdays:
            raise RecurrenceError("choose at least one weekday")
        return lambda d: d >= anchor_day and d.weekday() in rule.weekdays
    if rule.kind == "monthly":
        if not rule.monthday or not 1 <= rule.monthday <= 31:
            raise RecurrenceError("the day of the month must be 1–31")

        def monthly(d: date) -> bool:
            # Day 31 in a 30-day month (or 29–31 in February) fires on the month's last day.
            last = calendar.monthrange(d.year, d.month)[1]
            return d >= anchor_day and d.day == min(rule.monthday, last)

        return monthly
    raise RecurrenceError(f"unknown recurrence {rule.kind!r}")


def _next_by_day(rule: Rule, after: datetime, matches) -> datetime:
    day = after.astimezone(rule.tz).date() - timedelta(days=1)  # a gap may pull it earlier
    limit = day + timedelta(days=366 * MAX_YEARS_AHEAD)
    while day <= limit:
        if matches(day):
            at = wall_to_utc(day, rule.time_of_day, rule.tz)
            if at > after:
                return at
        day += timedelta(days=1)
    raise RecurrenceError("the rule does not fire in the next five years")


# --- cron ---------------------------------------------------------------------------------------
_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)


def parse_cron(expr: str) -> tuple[list[int], list[int], set[int], set[int], set[int], bool, bool]:
    """Five standard fields; `*`, lists, ranges and steps. Day of week 0 and 7 are Sunday."""
    parts = expr.split()
    if len(parts) != 5:
        raise RecurrenceError("a cron expression has five fields: minute hour day month weekday")
    values = [
        _cron_field(p, name, lo, hi) for p, (name, lo, hi) in zip(parts, _FIELDS, strict=True)
    ]
    minutes, hours, doms, months, dows = values
    dows = {(d - 1) % 7 for d in dows}  # cron Sunday=0 → Python Monday=0
    return (sorted(minutes), sorted(hours), doms, months, dows, parts[2] == "*", parts[4] == "*")


def _cron_field(text: str, name: str, lo: int, hi: int) -> set[int]:
    out: set[int] = set()
    for item in text.split(","):
        body, _, step_text = item.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if body == "*":
                start, end = lo, hi
            elif "-" in body:
                start, end = (int(x) for x in body.split("-", 1))
            else:
                start = end = int(body)
                if step_text:
                    end = hi
        except ValueError:
            raise RecurrenceError(f"cron {name}: {item!r} is not a number, range or step") from None
        if step < 1 or not (lo <= start <= end <= hi):
            raise RecurrenceError(f"cron {name}: {item!r} is outside {lo}–{hi}")
        out.update(range(start, end + 1, step))
    return out


def _next_cron(rule: Rule, after: datetime) -> datetime:
    minutes, hours, doms, months, dows, any_dom, any_dow = parse_cron(rule.cron)

    def day_matches(d: date) -> bool:
        if d.month not in months:
            return False
        dom_ok, dow_ok = d.day in doms, d.weekday() in dows
        # Vixie cron: when both day fields are restricted, either may match.
        if not any_dom and not any_dow:
            return dom_ok or dow_ok
        return dom_ok and dow_ok

    day = after.astimezone(rule.tz).date() - timedelta(days=1)
    limit = day + timedelta(days=366 * MAX_YEARS_AHEAD)
    anchor = rule.starts_at.astimezone(UTC)
    while day <= limit:
        if day_matches(day):
            for h in hours:
                for m in minutes:
                    at = wall_to_utc(day, time(h, m), rule.tz)
                    if at > after and at >= anchor:
                        return at
        day += timedelta(days=1)
    raise RecurrenceError("the cron expression does not fire in the next five years")
