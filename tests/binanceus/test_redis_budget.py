"""RedisWeightBudget against a real, private redis-server (fixture ``redis_url``)."""

from __future__ import annotations

import threading
import time
import uuid
from decimal import Decimal

import pytest
import redis

import binanceus as bu

from .fakes import FakeExchange, make_client
from .spec_examples import ACCOUNT

T0 = 1_700_000_020.0  # 40 s into an epoch minute (1_699_999_980 % 60 == 0)


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def r(redis_url):
    conn = redis.Redis.from_url(redis_url)
    yield conn
    conn.close()


@pytest.fixture
def prefix() -> str:
    return f"test:{uuid.uuid4().hex}"


def budget(r, prefix, clock=None, **kw) -> bu.RedisWeightBudget:
    return bu.RedisWeightBudget(r, key_prefix=prefix, clock=clock or Clock(), **kw)


def test_it_satisfies_the_weight_budget_protocol(r, prefix):
    assert isinstance(budget(r, prefix), bu.WeightBudget)


def test_it_spends_from_one_counter_shared_by_two_processes(r, redis_url, prefix):
    clock = Clock()
    a = budget(r, prefix, clock, limit_per_minute=100, headroom=0.9)
    other = redis.Redis.from_url(redis_url)
    b = budget(other, prefix, clock, limit_per_minute=100, headroom=0.9)
    assert a.cap == 90
    a.acquire(50)
    b.acquire(40)
    assert a.spent == b.spent == 90
    with pytest.raises(bu.WeightLimitExceeded) as info:
        a.acquire(1)
    assert info.value.retry_after == pytest.approx(20.0)
    assert info.value.status is None
    assert b.spent == 90  # a refused call spends nothing
    assert 0 < r.ttl(a.counter_key()) <= 120
    other.close()


def test_it_starts_a_fresh_counter_each_wall_clock_minute(r, prefix):
    clock = Clock()
    b = budget(r, prefix, clock, limit_per_minute=10, headroom=1.0)
    b.acquire(10)
    with pytest.raises(bu.WeightLimitExceeded):
        b.acquire(1)
    clock.now += 20  # the next minute begins
    b.acquire(10)
    assert b.spent == 10


def test_it_never_lets_concurrent_processes_overspend(redis_url, prefix):
    clock = Clock()
    granted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = redis.Redis.from_url(redis_url)
        mine = budget(conn, prefix, clock, limit_per_minute=200, headroom=0.9)
        n = 0
        for _ in range(40):
            try:
                mine.acquire(1)
                n += 1
            except bu.WeightLimitExceeded:
                pass
        with lock:
            granted.append(n)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) == 180  # 400 attempts, cap int(200 * 0.9)


def test_it_corrects_the_counter_upward_from_the_used_weight_header(r, prefix):
    b = budget(r, prefix, limit_per_minute=100, headroom=0.9)
    b.acquire(10)
    b.observe({"x-mbx-used-weight-1m": "85"})
    assert b.spent == 85
    b.observe({"X-MBX-USED-WEIGHT-1M": "20"})  # lower: never corrected downward
    assert b.spent == 85
    b.observe({"Content-Type": "application/json"})
    assert b.spent == 85
    with pytest.raises(bu.WeightLimitExceeded):
        b.acquire(6)
    b.acquire(5)


def test_a_429_seen_by_one_process_stops_all_until_retry_after(r, redis_url, prefix):
    clock = Clock()
    a = budget(r, prefix, clock)
    other = redis.Redis.from_url(redis_url)
    b = budget(other, prefix, clock)
    a.back_off(30.0, status=429)
    with pytest.raises(bu.WeightLimitExceeded) as info:
        b.acquire(1)
    assert info.value.status == 429
    assert info.value.retry_after == pytest.approx(30.0)
    assert b.blocked_until is not None
    assert b.blocked_until.timestamp() == pytest.approx(T0 + 30)
    a.back_off(5.0, status=429)  # a shorter back-off never shortens the recorded one
    clock.now += 10
    with pytest.raises(bu.WeightLimitExceeded) as info:
        b.acquire(1)
    assert info.value.retry_after == pytest.approx(20.0)
    clock.now += 20.5
    b.acquire(1)
    assert b.blocked_until is None
    other.close()


def test_a_418_without_retry_after_blocks_for_two_minutes(r, prefix):
    clock = Clock()
    b = budget(r, prefix, clock)
    b.back_off(None, status=418)
    with pytest.raises(bu.WeightLimitExceeded) as info:
        b.acquire(1)
    assert info.value.status == 418 and info.value.retry_after == pytest.approx(120.0)
    assert 0 < r.pttl(b.block_key) <= 121_000


def test_a_429_without_retry_after_blocks_until_the_next_minute(r, prefix):
    b = budget(r, prefix, Clock())
    b.back_off(None, status=429)
    with pytest.raises(bu.WeightLimitExceeded) as info:
        b.acquire(1)
    assert info.value.retry_after == pytest.approx(20.0)


def test_clients_sharing_the_budget_stop_after_one_gets_a_429(r, prefix):
    shared = budget(r, prefix, clock=time.time)
    fake_a, fake_b = FakeExchange(), FakeExchange()
    client_a = make_client(fake_a, weight_budget=shared, retry_backoff=())
    client_b = make_client(
        fake_b, weight_budget=bu.RedisWeightBudget(r, key_prefix=prefix), retry_backoff=()
    )
    fake_a.reply(
        "GET",
        "/api/v3/account",
        {"code": -1003, "msg": "Too many requests."},
        status=429,
        headers={"Retry-After": "30"},
    )
    with pytest.raises(bu.RateLimited):
        client_a.account()
    fake_b.reply("GET", "/api/v3/account", ACCOUNT)
    with pytest.raises(bu.WeightLimitExceeded) as info:
        client_b.account()
    assert info.value.status == 429 and 25 < info.value.retry_after <= 30
    assert fake_b.calls("GET", "/api/v3/account") == []  # nothing was sent


def test_the_client_spends_the_endpoint_weight_in_redis(r, prefix):
    shared = bu.RedisWeightBudget(r, key_prefix=prefix)
    fake = FakeExchange()
    client = make_client(fake, weight_budget=shared)
    fake.reply("GET", "/api/v3/account", ACCOUNT)
    client.account()
    assert shared.spent == 1 + 10  # GET /api/v3/time (sync) + GET /api/v3/account


def test_it_validates_its_settings(r):
    with pytest.raises(ValueError):
        bu.RedisWeightBudget(r, headroom=0)
    with pytest.raises(ValueError):
        bu.RedisWeightBudget(r, limit_per_minute=0)


def test_it_opens_the_circuit_for_every_process_on_a_418_until_the_ban_ends(r, prefix):
    fake_a, fake_b = FakeExchange(), FakeExchange()
    client_a = make_client(fake_a, weight_budget=bu.RedisWeightBudget(r, key_prefix=prefix))
    client_b = make_client(fake_b, weight_budget=bu.RedisWeightBudget(r, key_prefix=prefix))
    until = int(time.time() * 1000) + 90_000
    fake_a.reply(
        "POST",
        "/api/v3/order",
        {"code": -1003, "msg": f"Way too many requests; IP banned until {until}."},
        status=418,
    )
    with pytest.raises(bu.IPBanned) as banned:
        client_a.new_order(symbol="BTCUSD", side="BUY", type="MARKET", quantity=Decimal("1"))
    assert 80 < banned.value.retry_after <= 90
    with pytest.raises(bu.IPBanned):  # the banned client itself sends nothing more
        client_a.ping()
    with pytest.raises(bu.WeightLimitExceeded) as refused:
        client_b.ping()
    assert refused.value.status == 418 and 80 < refused.value.retry_after <= 90
    assert len(fake_a.requests) == 2 and fake_b.requests == []  # time sync + the order
