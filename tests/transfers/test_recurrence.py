"""Exact firing times, including both 2026 DST transitions in America/New_York
(spring forward Sun 8 March 02:00 → 03:00; fall back Sun 1 November 02:00 → 01:00)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from transfers.recurrence import RecurrenceError, Rule, next_after, parse_cron

NY = ZoneInfo("America/New_York")


def _fires(rule: Rule, start: datetime, n: int) -> list[datetime]:
    out, t = [], start
    for _ in range(n):
        t = next_after(rule, t)
        out.append(t)
    return out


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_it_keeps_a_daily_wall_time_across_spring_forward():
    rule = Rule("daily", NY, datetime(2026, 3, 6, 9, 0, tzinfo=NY))
    fires = _fires(rule, _utc(2026, 3, 6, 0, 0), 4)
    # 09:00 EST = 14:00 UTC before the change, 09:00 EDT = 13:00 UTC after it.
    assert fires == [
        _utc(2026, 3, 6, 14),
        _utc(2026, 3, 7, 14),
        _utc(2026, 3, 8, 13),
        _utc(2026, 3, 9, 13),
    ]


def test_it_keeps_a_daily_wall_time_across_fall_back():
    rule = Rule("daily", NY, datetime(2026, 10, 30, 9, 0, tzinfo=NY))
    fires = _fires(rule, _utc(2026, 10, 30, 0, 0), 4)
    assert fires == [
        _utc(2026, 10, 30, 13),
        _utc(2026, 10, 31, 13),
        _utc(2026, 11, 1, 14),
        _utc(2026, 11, 2, 14),
    ]


def test_it_fires_a_time_inside_the_spring_gap_once_at_the_jump():
    rule = Rule("daily", NY, datetime(2026, 3, 7, 2, 30, tzinfo=NY))
    fires = _fires(rule, _utc(2026, 3, 7, 12, 0), 2)
    # 02:30 does not exist on 8 March: it runs at 03:30 EDT (07:30 UTC), once.
    assert fires == [_utc(2026, 3, 8, 7, 30), _utc(2026, 3, 9, 6, 30)]


def test_it_fires_a_repeated_fall_back_time_only_once():
    rule = Rule("daily", NY, datetime(2026, 10, 31, 1, 30, tzinfo=NY))
    fires = _fires(rule, _utc(2026, 10, 31, 12, 0), 2)
    # 01:30 happens twice on 1 November (EDT then EST): the first one only.
    assert fires == [_utc(2026, 11, 1, 5, 30), _utc(2026, 11, 2, 6, 30)]


def test_it_counts_every_n_hours_in_elapsed_time_through_dst():
    rule = Rule("hourly", NY, datetime(2026, 3, 8, 0, 0, tzinfo=NY), every=1)
    fires = _fires(rule, _utc(2026, 3, 8, 4, 30), 4)
    assert [f - fires[0] for f in fires] == [timedelta(hours=h) for h in range(4)]


def test_it_runs_weekly_on_chosen_days():
    rule = Rule(
        "weekly", NY, datetime(2026, 10, 26, 18, 0, tzinfo=NY), weekdays=frozenset({0, 4})
    )  # Monday, Friday
    fires = _fires(rule, _utc(2026, 10, 26, 0, 0), 4)
    assert [f.astimezone(NY).strftime("%a %d %H:%M") for f in fires] == [
        "Mon 26 18:00",
        "Fri 30 18:00",
        "Mon 02 18:00",
        "Fri 06 18:00",
    ]


def test_it_clamps_monthly_day_31_to_short_months():
    rule = Rule("monthly", NY, datetime(2026, 1, 31, 12, 0, tzinfo=NY), monthday=31)
    fires = _fires(rule, _utc(2026, 1, 1), 3)
    assert [f.astimezone(NY).date().isoformat() for f in fires] == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
    ]


def test_it_runs_every_n_days_from_the_anchor():
    rule = Rule("daily", NY, datetime(2026, 5, 1, 6, 0, tzinfo=NY), every=3)
    fires = _fires(rule, _utc(2026, 5, 1), 3)
    assert [f.astimezone(NY).day for f in fires] == [1, 4, 7]


def test_it_runs_a_one_off_once():
    at = datetime(2026, 12, 24, 10, 0, tzinfo=NY)
    rule = Rule("once", NY, at)
    assert next_after(rule, _utc(2026, 12, 1)) == at.astimezone(UTC)
    assert next_after(rule, at) is None


def test_it_evaluates_cron_in_local_time_across_dst():
    rule = Rule("cron", NY, datetime(2026, 3, 1, tzinfo=NY), cron="15 9 * * 1-5")
    fires = _fires(rule, _utc(2026, 3, 5, 0, 0), 3)  # Thu, Fri, then Mon after the change
    assert fires == [_utc(2026, 3, 5, 14, 15), _utc(2026, 3, 6, 14, 15), _utc(2026, 3, 9, 13, 15)]


def test_it_handles_cron_steps_lists_and_either_day_field():
    rule = Rule("cron", NY, datetime(2026, 1, 1, tzinfo=NY), cron="0 */6 1,15 * 0")
    fires = _fires(rule, datetime(2026, 2, 28, 23, 0, tzinfo=NY), 5)
    local = [f.astimezone(NY).strftime("%d %a %H") for f in fires]
    # 1 March is a Sunday (both fields match), then Sunday 8 March (day of week only).
    assert local[:4] == ["01 Sun 00", "01 Sun 06", "01 Sun 12", "01 Sun 18"]
    assert local[4] == "08 Sun 00"


@pytest.mark.parametrize("expr", ["* * *", "61 * * * *", "a * * * *", "0 0 32 * *", "*/0 * * * *"])
def test_it_rejects_bad_cron(expr):
    with pytest.raises(RecurrenceError):
        parse_cron(expr)
