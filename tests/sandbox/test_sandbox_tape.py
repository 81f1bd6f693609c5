"""The trade tape's time windows when the admin moved the exchange clock back while trades kept
coming (a shared sandbox whose faults were cleared after tests advanced its clock)."""

from decimal import Decimal

from sandbox.klines import KlineStore
from sandbox.records import AggTrade
from sandbox.tape import Tape


def _agg(agg_id: int, time: int) -> AggTrade:
    return AggTrade(agg_id, Decimal("100"), Decimal("1"), agg_id, agg_id, time, False)


def test_a_time_window_finds_trades_made_after_the_clock_went_back():
    tape = Tape(KlineStore())
    for agg_id, time in ((1, 10_000), (2, 20_000), (3, 5_000), (4, 6_000)):
        tape.add_agg(_agg(agg_id, time))
    assert [a.agg_id for a in tape.agg_query(None, 5_000, 6_000, 500)] == [3, 4]
    assert [a.agg_id for a in tape.agg_query(None, 5_500, 7_000, 500)] == [4]
    assert [a.agg_id for a in tape.agg_query(None, None, 6_000, 1)] == [4]


def test_in_order_windows_are_unchanged():
    tape = Tape(KlineStore())
    for agg_id, time in ((1, 1_000), (2, 2_000), (3, 3_000)):
        tape.add_agg(_agg(agg_id, time))
    assert [a.agg_id for a in tape.agg_query(None, 1_500, 3_000, 500)] == [2, 3]
    assert [a.agg_id for a in tape.agg_query(None, None, 2_000, 1)] == [2]
