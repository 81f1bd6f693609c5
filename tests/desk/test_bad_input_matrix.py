"""Every field of every form, fed bad values one at a time; every filter of every list and export
too; and every periodic task run beside a connection whose stored keys are poisoned.

Like the ownership matrix, the cases come from the code's own structure (``bad_input.routes``):
a URL that takes a POST, a paginated list or a CSV export is covered by adding it, with the
fields of the Django forms its view binds and the raw POST keys it reads. URL ids are the
owner's own objects, built by the ownership matrix's factories and then given real sandbox
keys, so a valid baseline submission goes through (``test_it_accepts_the_baseline``); each case
changes one field of it.

For each POST case:
- never a 5XX;
- a value no such field can take (``bad_input.must_refuse``) is refused, before anything that
  carries a key reaches the exchange, with a message tied to the field (an error element on the
  page, an ``errors`` key or a message naming it in JSON, an error message after a redirect);
- any refusal the desk makes itself says why and leaves every row of the desk's apps as it was;
- an order or transfer the desk does send is not refused by the exchange: the desk checks those
  with the exchange's own rules first.
A filter no list can apply is refused with a message naming it; an export never answers one
with a file. The beat tasks come from the schedule in the settings, each with what "processed"
means for it in ``BEAT_WORK``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import requests
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.test import Client, override_settings
from django.urls import resolve, reverse
from django.utils import timezone

from tests.convert.conftest import unknown_otc_conversion
from tests.creditline.conftest import unknown_credit_transfer
from tests.custody.conftest import (
    TRADER,
    custody_synced,
    custody_watched,
    unknown_custody_transfer,
)
from tests.desk import bad_input, pages, side_effects
from tests.desk.bad_input import KIND_VALUES, VALUES, Field, Route, must_refuse
from tests.desk.test_ownership_matrix import OBJECT_FACTORIES
from tests.factories import PASSWORD, login, make_connection, make_user
from tests.rewards.conftest import (
    MATRIX_OVERRIDES,
    export_ready,
    lost_export,
    rewards_synced,
    watched_for_rewards,
)
from tests.support import ROOT, exchange_client
from tests.wallet.conftest import (
    auto_stake_ran,
    due_auto_stake,
    sent_withdrawal,
    staking_synced,
    staking_watched,
    unknown_stake,
    unknown_withdrawal,
    withdrawal_followed,
)

ROUTES = bad_input.routes()
POST_ROUTES = [r for r in ROUTES if r.accepts_post]
FILTERED = [r for r in ROUTES if (r.is_list or r.is_csv)]
POSTED_TO = {r.name for r in POST_ROUTES}
MONEY_MOVING = side_effects.money_moving_paths()
SYMBOL = "BTCUSD"
RAIL = "ANCHORAGE"
NEW_PASSWORD = "Another-horse-battery-42"

# Posted by the pages' scripts with ``Accept: application/json`` (static/js/ticket.js: the
# ticket to its check, test and place URLs; static/js/orders.js: every order action).
JSON_POSTED = {
    *("trading:order-check", "trading:order-test", "trading:order-place"),
    *("trading:order-cancel", "trading:order-replace", "trading:oco-cancel"),
    *("trading:orders-cancel-all", "trading:oco-place"),
    # static/js/custody.js drives the same ticket against the custodial URLs.
    *("custody:order-check", "custody:order-place", "custody:order-cancel"),
}
# Django's sign-in answer deliberately never says which of the two was wrong.
FIELDLESS_REFUSALS = {"login": {"username", "password"}}
# Forms whose valid submission cannot be built here: the code comes from an authenticator app.
NO_BASELINE = {
    "twofactor-setup": "needs a code from the authenticator app",
    "twofactor-verify": "needs a code from the authenticator app",
}
# A confirmation field repeats its partner: a bad value goes into both, as a person types it
# twice, and the form may answer on either.
MIRRORS = {
    ("password_change", "new_password1"): "new_password2",
    ("password_reset_confirm", "new_password1"): "new_password2",
    ("signup", "password1"): "password2",
}
MIRRORS |= {(route, b): a for (route, a), b in MIRRORS.items()}
# Settings under which a route takes a POST at all.
ROUTE_SETTINGS = {"signup": {"DESK_ALLOW_SIGNUP": True}}


UNIQUE_TEXT = bad_input.unique_text_fields()
# Every case's answer, written to the file BAD_INPUT_OUTCOMES names (to read what the desk did
# with the values it may take either way).
OUTCOMES: list[dict] = []


def _post_cases():
    for route in POST_ROUTES:
        for f in route.fields:
            taken = ["taken"] if f.kind == "text" and f.name in UNIQUE_TEXT else []
            for value in [*KIND_VALUES[f.kind], *taken]:
                yield pytest.param(route, f, value, id=f"{route.name}|{f.name}|{value}")


def _filter_cases():
    for route in FILTERED:
        for f in route.filters:
            for value in KIND_VALUES[f.kind]:
                yield pytest.param(route, f, value, id=f"{route.name}|{f.name}|{value}")


# --- the owner's world --------------------------------------------------------------------------
@dataclass
class World:
    owner: object
    base: str
    master_email: str
    subs: list[str]
    kwargs: dict[str, dict]  # namespace -> URL kwargs of its objects
    spare_keys: dict[str, dict]  # purpose -> {"apiKey", "secretKey"} of the master account
    keys: dict[str, dict]  # namespace -> the key its connection holds
    tally: side_effects.ExchangeTally
    bystander: object
    forms: dict[str, list[pages.PageForm]] = field(default_factory=dict)
    labels: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    pages: dict[str, int] = field(default_factory=dict)  # route -> status of its GET
    client: Client = field(default_factory=Client)
    _avg: tuple[float, Decimal] | None = None

    def url(self, route: Route, **extra) -> str:
        kwargs = {}
        for k in route.kwargs:
            if k in extra:
                kwargs[k] = extra[k]
            elif k == "symbol":
                kwargs[k] = SYMBOL
            elif k in ("uidb64", "token"):
                kwargs[k] = _reset_link_kwargs(self.owner)[k]
            else:
                assert route.namespace in self.kwargs, f"no objects for {route.name}; add them"
                kwargs[k] = self.kwargs[route.namespace][k]
        return reverse(route.name, kwargs=kwargs)

    def avg_price(self) -> Decimal:
        """The exchange's average price, read at most every 10 s: the desk's request-weight
        budget counts every request from this host, the test's own too."""
        now = time.monotonic()
        if self._avg is None or now - self._avg[0] > 10:
            doc = self.tally.http.get(f"{self.base}/api/v3/avgPrice", params={"symbol": SYMBOL})
            self._avg = (now, Decimal(doc.json()["price"]))
        return self._avg[1]


def _reset_link_kwargs(user) -> dict:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


def _sandbox(base: str, path: str, doc: dict) -> dict:
    resp = requests.post(f"{base}/sandbox/v1/{path}", json=doc, timeout=5)
    resp.raise_for_status()
    return resp.json()


_seq = itertools.count(1)


# The master's credit line: USD lent against SOL at an LTV of about 0.3.
CREDIT_LINE = {
    "balances": {"SOL": "100", "USD": "1000"},
    "loanAssets": [{"loanAsset": "USD", "loanQuantity": "5000", "currentLoanQuantity": "5000"}],
}


def _master_account(base: str) -> tuple[str, dict, list[str]]:
    """A funded master account with two funded sub-accounts on the sandbox."""
    n = f"{uuid.uuid4().hex[:8]}-{next(_seq)}"
    email = f"bad-input-master-{n}@example.test"
    balances = {"USD": "100000", "USDT": "100000", "BTC": "5", "ETH": "50"}
    acct = _sandbox(base, "accounts", {"email": email, "balances": balances})
    subs = []
    for i in (1, 2):
        sub = f"bad-input-sub{i}-{n}@example.test"
        _sandbox(base, "accounts", {"email": sub, "master": email, "balances": {"USD": "50"}})
        subs.append(sub)
    return email, acct, subs


def _make_real(connection, *, email: str, key: dict) -> None:
    """Give a factory-built connection real keys of the sandbox master, through the desk's own
    services (verified by the exchange), with its balances and sub-accounts synced."""
    from accounts import services
    from accounts.models import ExchangeConnection

    services.connection_replace_keys(
        connection=connection, api_key=key["apiKey"], api_secret=key["secretKey"]
    )
    ExchangeConnection.objects.filter(pk=connection.pk).update(account_email=email)
    services.subaccounts_sync(connection_id=connection.pk)
    services.connection_sync_balances(connection_id=connection.pk)


def _unclash_exchange_ids(kwargs: dict) -> None:
    """The factories' orders carry made-up exchange ids (1); the real account's first order
    would get the same one. Move them out of the exchange's range."""
    from trading.models import Order, OrderList

    if "order_pk" in kwargs:
        Order.objects.filter(pk=kwargs["order_pk"]).update(order_id=10**15 + kwargs["order_pk"])
    if "list_pk" in kwargs:
        OrderList.objects.filter(pk=kwargs["list_pk"]).update(
            order_list_id=10**15 + kwargs["list_pk"]
        )


def _build_world(base: str) -> World:
    from accounts.models import ExchangeConnection
    from transfers.models import TransferRun

    bystander = make_user()  # someone else, whose username is taken
    owner = make_user()
    owner.email = f"{owner.username}@example.test"
    owner.save(update_fields=["email"])
    email, _, subs = _master_account(base)
    # The master also has a custodial partner and a credit line, for those areas' keys.
    _sandbox(base, f"accounts/{email}/custody", {**TRADER, "processingDelayMs": 0})
    _sandbox(base, f"accounts/{email}/credit-line", CREDIT_LINE)
    kwargs, keys = {}, {}
    for namespace, factory in OBJECT_FACTORIES.items():
        if namespace.startswith("ws/"):
            continue
        _, kw = factory(owner)
        _unclash_exchange_ids(kw)
        if "run_id" in kw:  # a request key to reuse (a replayed or forged "transfer now")
            TransferRun.objects.filter(pk=kw["run_id"]).update(request_key=uuid.uuid4().hex)
        conn = ExchangeConnection.objects.get(pk=kw["pk"])
        keys[namespace] = _sandbox(base, "keys", {"email": email, "type": conn.key_type})
        _make_real(conn, email=email, key=keys[namespace])
        kwargs[namespace] = kw
    spare = {p: _sandbox(base, "keys", {"email": email}) for p in ("create", "replace")}
    spare["custodial"] = _sandbox(base, "keys", {"email": email, "type": "custodial"})
    world = World(
        owner=owner,
        base=base,
        master_email=email,
        subs=subs,
        kwargs=kwargs,
        spare_keys=spare,
        keys=keys,
        tally=side_effects.ExchangeTally(base),
        bystander=bystander,
    )
    _read_pages(world)
    return world


def _read_pages(world: World) -> None:
    """GET every page as the owner and note each <form>: its fields' defaults, and which URL it
    posts to (its action, or a ``data-*-url`` its script posts it to)."""
    client = world.client
    login(client, world.owner)
    for route in ROUTES:
        if not route.answers_get:
            continue
        url = world.url(route)
        if route.name == "trading:market":
            url += "?" + urlencode({"connection": world.kwargs["trading"]["pk"]})
        with override_settings(**ROUTE_SETTINGS.get(route.name, {})):
            resp = client.get(url, follow=True)
        world.pages[route.name] = resp.status_code
        if "html" not in resp.get("Content-Type", ""):
            continue
        page_path = resp.request["PATH_INFO"]
        root = pages.parse_html(resp.content.decode())
        labels = pages.label_texts(root)
        for form in pages.page_forms(root):
            if form.method != "post":
                targets = [route.name]  # a filter form: its page reads it
            else:
                scripted = [_route_name(u) for u in form.also_posts_to]
                targets = [
                    _route_name(form.action or page_path),
                    *(t for t in scripted if t in POSTED_TO),  # e.g. the ticket's check and test
                ]
            for target in targets:
                world.forms.setdefault(target, []).append(form)
                world.labels.setdefault(target, {})
                for name in form.names:
                    world.labels[target].setdefault(name, set()).update(labels.get(name, ()))
        login(client, world.owner)  # a page may have rotated the session (none should)


def _route_name(url: str) -> str:
    match = resolve(pages.path_of(url))
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


@pytest.fixture(scope="module")
def fast_hashers():
    # Sign-in, re-authentication and password forms hash on every submission.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="module")
def plain_templates():
    """Templates rendered without the test client's recording (a copy of the context per
    template, for ``response.context``): the schedule form renders ~600 time-zone options, and
    recording them costs half a second per case. This module reads the HTML instead."""
    from django.template import Template

    recording = Template._render
    Template._render = lambda self, context: self.nodelist.render(context)
    yield
    Template._render = recording


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, sandbox_url, fast_hashers, plain_templates):
    """One owner with real objects for the whole module (committed; each test's own writes roll
    back), deleted at the end."""
    with django_db_blocker.unblock():
        w = _build_world(sandbox_url)
        try:
            yield w
        finally:
            w.owner.delete()
            w.bystander.delete()


@pytest.fixture(scope="module", autouse=True)
def outcomes_file():
    yield
    if os.environ.get("BAD_INPUT_OUTCOMES"):
        with open(os.environ["BAD_INPUT_OUTCOMES"], "w") as out:
            out.writelines(json.dumps(o) + "\n" for o in OUTCOMES)


# --- baselines ----------------------------------------------------------------------------------
def _q(value: Decimal, step: str = "0.01") -> str:
    return str(value.quantize(Decimal(step)))


def _ticket(w: World, options: dict, field_name: str) -> dict:
    """A limit buy; for a field a limit order does not take, an order of a type that takes it
    (the ticket's script sends only the fields of the chosen type: static/js/ticket.js)."""
    import binanceus

    avg = w.avg_price()
    doc = {
        "symbol": SYMBOL,
        "client_order_id": binanceus.generate_client_order_id(),
        "side": "BUY",
        "type": "LIMIT",
        "price": _q(avg * Decimal("0.90")),
        "quantity": "0.001",
        "time_in_force": "GTC",
        "confirm_large": "on",
    }
    if field_name in ("market_by", "quote_order_qty"):
        doc |= {"type": "MARKET", "market_by": "quote", "quote_order_qty": "20"}
        del doc["price"], doc["quantity"], doc["time_in_force"]
    elif field_name in ("trigger", "stop_price", "trailing_delta"):
        # A sell stop well under the market: it rests until the price falls there.
        doc |= {"type": "STOP_LOSS_LIMIT", "side": "SELL", "price": _q(avg * Decimal("0.89"))}
        if field_name == "trailing_delta":
            doc |= {"trigger": "trailing_delta", "trailing_delta": "100"}
        else:
            doc |= {"trigger": "stop_price", "stop_price": _q(avg * Decimal("0.90"))}
    return doc


def _oco(w: World, options: dict, field_name: str = "") -> dict:
    import binanceus

    avg = w.avg_price()
    return {
        "symbol": SYMBOL,
        "list_client_order_id": binanceus.generate_client_order_id(),
        "side": "SELL",
        "quantity": "0.001",
        "price": _q(avg * Decimal("1.10")),
        "stop_price": _q(avg * Decimal("0.90")),
        "stop_limit_price": _q(avg * Decimal("0.89")),
        "stop_limit_time_in_force": "GTC",
    }


def _schedule(w: World, options: dict, field_name: str = "") -> dict:
    return {
        "name": "Probe schedule",
        "from_party": options["from_party"][0],
        "to_party": options["to_party"][1],
        "asset": "USD",
        "amount_kind": "fixed",
        "amount": "1",
        "recurrence": "hourly",
        "every": "1",
        "starts_at": "",
        "timezone": "UTC",
        "catch_up": "run_once",
    }


def _connection(w: World, options: dict, field_name: str) -> dict:
    """An exchange key; for the custodian's rail, a Custodial Solution key (the only kind that
    has one)."""
    if field_name == "rail":
        key = w.spare_keys["custodial"]
        extra = {"key_type": "custodial", "rail": RAIL}
    else:
        key, extra = w.spare_keys["create"], {}
    return {
        "label": "Probe connection",
        "api_key": key["apiKey"],
        "api_secret": key["secretKey"],
        **extra,
    }


def _replace(w: World, options: dict, field_name: str = "") -> dict:
    import binanceus

    return {
        "client_order_id": binanceus.generate_client_order_id(),
        "price": _q(w.avg_price() * Decimal("0.89")),
        "quantity": "0.002",
    }


def _withdrawal() -> dict:
    return {"coin": "ETH", "network": "ETH", "amount": "0.01", "request_key": uuid.uuid4().hex}


def _staking(kind: str):
    """A stake or unstake of 0.01 ETH. Each case starts with none of the connection's in flight
    (no worker runs here: the earlier cases' stay planned) and, to unstake, some ETH staked."""

    def typed(w, o, f) -> dict:
        from wallet.staking.models import IN_FLIGHT, StakingOperation

        pk = w.kwargs["wallet"]["pk"]
        StakingOperation.objects.filter(connection_id=pk, status__in=IN_FLIGHT).update(
            status="failed"
        )
        if kind == "unstake":
            key = w.keys["wallet"]
            with exchange_client(key["apiKey"], key["secretKey"], w.base) as client:
                client.stake(staking_asset="ETH", amount=Decimal("0.02"))
        return {"asset": "ETH", "amount": "0.01", "request_key": uuid.uuid4().hex}

    return typed


def _credit_transfer(w, o, f) -> dict:
    """1 USD in. Each case starts with none of the connection's transfers in flight (no worker
    runs here: the earlier cases' stay planned)."""
    from creditline.models import IN_FLIGHT, CreditTransfer

    pk = w.kwargs["creditline"]["pk"]
    CreditTransfer.objects.filter(connection_id=pk, status__in=IN_FLIGHT).update(status="failed")
    return {
        "transfer_type": "TRANSFER_IN",
        "asset": "USD",
        "quantity": "1",
        "request_key": uuid.uuid4().hex,
    }


def _custody_transfer(w, o, f) -> dict:
    return {"asset": "BTC", "amount": "0.01", "request_key": uuid.uuid4().hex}


def _custody_undo(w, o, f) -> dict:
    """A partner transfer the exchange has processed, known to the desk: the undo's choice."""
    from custody.models import CustodyTransfer, TransferKind, TransferStatus
    from custody.selectors import PROCESSED

    key = w.keys["custody"]
    with exchange_client(key["apiKey"], key["secretKey"], w.base) as client:
        made = client.custodian_transfer(rail=RAIL, asset="BTC", amount=Decimal("0.01"))
    row = CustodyTransfer.objects.create(
        connection_id=w.kwargs["custody"]["pk"],
        client_order_id=made.client_order_id,
        kind=TransferKind.CUSTODIAN,
        rail=RAIL,
        asset="BTC",
        amount=Decimal("0.01"),
        status=TransferStatus.DONE,
        exchange_status=PROCESSED,
        transfer_id=made.transfer_id,
    )
    return {"origin": str(row.pk), "request_key": uuid.uuid4().hex}


def _custodial_order(w, o, f) -> dict:
    """A LIMIT BUY of 0.001 BTC well below the market, from the custodial USD. Each case starts
    with none of the connection's orders in flight (no worker runs here)."""
    from custody.orders.models import IN_FLIGHT, CustodialOrder

    pk = w.kwargs["custody"]["pk"]
    CustodialOrder.objects.filter(connection_id=pk, status__in=IN_FLIGHT).update(status="failed")
    doc = {
        "symbol": SYMBOL,
        "side": "BUY",
        "type": "LIMIT",
        "time_in_force": "GTC",
        "quantity": "0.001",
        "price": _q(w.avg_price() * Decimal("0.8")),
        "client_order_id": uuid.uuid4().hex,
    }
    if f in ("market_by", "quote_order_qty"):  # as the trading ticket's: a type that takes it
        doc |= {"type": "MARKET", "market_by": "quote", "quote_order_qty": "20"}
        del doc["price"], doc["quantity"], doc["time_in_force"]
    return doc


def _otc_quote(w, o, f) -> dict:
    return {"from_coin": "BTC", "to_coin": "USD", "request_amount": "0.01", "amount_in": "from"}


def _otc_accept(w, o, f) -> dict:
    """A quote the exchange just gave the connection (valid for seconds: the case's own)."""
    from accounts.models import ExchangeConnection
    from convert import services

    conn = ExchangeConnection.objects.get(pk=w.kwargs["convert"]["pk"])
    quote = services.quote_request(
        connection=conn,
        from_coin="BTC",
        to_coin="USD",
        request_coin="BTC",
        request_amount=Decimal("0.01"),
    )
    return {"quote_id": quote.quote_id}


def _dust(w, o, f) -> dict:
    """0.01 SOL (dust: about 1.5 USD) deposited for each case, converted into BTC, on the page
    as the person loaded it (its read of the dust is cached for a few seconds). Each case
    starts with none of the connection's conversions in flight (no worker runs here)."""
    from convert.models import IN_FLIGHT, DustConversion
    from convert.reads import dust_assets

    pk = w.kwargs["convert"]["pk"]
    DustConversion.objects.filter(connection_id=pk, status__in=IN_FLIGHT).update(status="failed")
    _sandbox(w.base, "deposit", {"email": w.master_email, "asset": "SOL", "amount": "0.01"})
    from accounts.models import ExchangeConnection

    conn = ExchangeConnection.objects.get(pk=pk)
    # Read as the page the person submits read it.
    dust_assets(connection=conn, to_asset="BTC", fresh=True)
    return {"to_asset": "BTC", "from_assets": "SOL", "request_key": uuid.uuid4().hex}


# What a person types into each form (the rest are the page's own defaults); given the world,
# the options of the page's choices, and the field the case is about.
OVERRIDES = {
    "accounts:create": _connection,
    "accounts:rename": lambda w, o, f: {"label": "Renamed probe"},
    "accounts:replace-keys": lambda w, o, f: {
        "api_key": w.spare_keys["replace"]["apiKey"],
        "api_secret": w.spare_keys["replace"]["secretKey"],
    },
    "transfers:account-email": lambda w, o, f: {"account_email": w.master_email},
    "transfers:new": lambda w, o, f: {
        "from_party": o["from_party"][0],
        "to_party": o["to_party"][1],
        "asset": "USD",
        "amount": "1",
        "request_key": uuid.uuid4().hex,
    },
    "transfers:schedule-new": _schedule,
    "wallet:address-add": lambda w, o, f: {
        "label": "Probe address",
        "coin": "ETH",
        "network": "ETH",
        "address": "0x" + "ef" * 20,
        "memo": "",
        "cool_off_hours": "24",
    },
    "wallet:withdraw": lambda w, o, f: _withdrawal(),
    "wallet:stake": _staking("stake"),
    "creditline:transfer": _credit_transfer,
    "convert:quote": _otc_quote,
    "convert:accept": _otc_accept,
    "convert:dust-convert": _dust,
    "custody:wallet-transfer": _custody_transfer,
    "custody:custodian-transfer": _custody_transfer,
    "custody:undo": _custody_undo,
    "custody:order-place": _custodial_order,
    "custody:order-check": _custodial_order,
    "wallet:autostake-add": lambda w, o, f: {
        "asset": "ETH",
        "floor": "40",
        "recurrence": "daily",
        "every": "1",
        "timezone": "UTC",
    },
    "wallet:unstake": _staking("unstake"),
    "wallet:withdraw-confirm": lambda w, o, f: {
        **_withdrawal(),
        "address": str(w.kwargs["wallet"]["aid"]),
    },
    "transfers:schedule-edit": _schedule,
    "history:symbol-add": lambda w, o, f: {"symbol": "ETHUSD"},
    "trading:order-check": _ticket,
    "trading:order-test": _ticket,
    "trading:order-place": _ticket,
    "trading:oco-place": _oco,
    "trading:orders-cancel-all": lambda w, o, f: {"symbol": SYMBOL},
    "trading:order-replace": _replace,
    "login": lambda w, o, f: {"username": w.owner.username, "password": PASSWORD},
    "reauth": lambda w, o, f: {"secret": PASSWORD},
    "password_change": lambda w, o, f: {
        "old_password": PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    },
    "password_reset": lambda w, o, f: {"email": w.owner.email},
    "password_reset_confirm": lambda w, o, f: {
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    },
    "signup": lambda w, o, f: {
        "username": f"newcomer{uuid.uuid4().hex[:8]}",
        "email": "newcomer@example.test",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    },
}
OVERRIDES |= MATRIX_OVERRIDES


def _live_order(w: World):
    """A resting order on the exchange, placed through the desk."""
    import binanceus
    from accounts.models import ExchangeConnection
    from trading.orders import services

    connection = ExchangeConnection.objects.get(pk=w.kwargs["trading"]["pk"])
    return services.order_place(
        user=w.owner,
        connection=connection,
        client_order_id=binanceus.generate_client_order_id(),
        request=services.OrderRequest(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            quantity=Decimal("0.002"),
            price=Decimal(_q(w.avg_price() * Decimal("0.90"))),
            time_in_force="GTC",
        ),
    )


def _cancel_open_orders(w: World) -> None:
    """Each case starts from an account with nothing open: an order a case left resting would
    count against the next one's limits (MAX_ALGO_ORDERS) or collide with its client id."""
    import binanceus

    key = w.keys["trading"]
    client = exchange_client(key["apiKey"], key["secretKey"], w.base)
    with client, contextlib.suppress(binanceus.BinanceUSError):  # nothing was open
        client.cancel_open_orders(symbol=SYMBOL)


def _live_oco(w: World):
    from accounts.models import ExchangeConnection
    from trading.orders import services

    doc = _oco(w, {})
    connection = ExchangeConnection.objects.get(pk=w.kwargs["trading"]["pk"])
    return services.oco_place(
        user=w.owner,
        connection=connection,
        list_client_order_id=doc["list_client_order_id"],
        request=services.OcoRequest(
            symbol=SYMBOL,
            side="SELL",
            quantity=Decimal(doc["quantity"]),
            price=Decimal(doc["price"]),
            stop_price=Decimal(doc["stop_price"]),
            stop_limit_price=Decimal(doc["stop_limit_price"]),
            stop_limit_time_in_force="GTC",
        ),
    )


def _taken(route: Route, f: Field, data: dict, kwargs: dict) -> str:
    """A value of ``f`` that another of the rows it names already has (not the row the URL is
    about, not the one the submission itself carries)."""
    for model in UNIQUE_TEXT[f.name]:
        rows = model.objects.exclude(pk__in=[v for v in kwargs.values() if isinstance(v, int)])
        for value in rows.order_by("pk").values_list(f.name, flat=True):
            if value and value not in data.get(f.name, ()):
                return value
    raise AssertionError(f"the world has no other {f.name} for {route.name} to reuse; add one")


@dataclass
class Target:
    url: str
    data: dict[str, list[str]]  # a valid submission
    kwargs: dict  # the URL's ids
    placed: bool  # something was left open on the exchange for the case to act on


# Actions on what is open on the exchange: each case gets a resting order (or OCO) of its own.
NEEDS_AN_ORDER = {"trading:order-replace", "trading:order-cancel", "trading:orders-cancel-all"}
NEEDS_AN_OCO = {"trading:oco-cancel"}


def _target(w: World, route: Route, client: Client, field_name: str) -> Target:
    """The URL to post to and a valid submission for it, built fresh for one case."""
    extra = {}
    if route.name in NEEDS_AN_ORDER:
        extra["order_pk"] = _live_order(w).pk
    if route.name in NEEDS_AN_OCO:
        extra["list_pk"] = _live_oco(w).pk
    url = w.url(route, **{k: v for k, v in extra.items() if k in route.kwargs})
    kwargs = {k: v for k, v in resolve(url).kwargs.items() if k in route.kwargs}
    if route.name == "password_reset_confirm":
        # The link's token moves into the session, and the form lives at .../set-password/.
        url = client.get(url).url
    forms = w.forms.get(route.name, [])
    data: dict[str, list[str]] = {}
    options: dict[str, list[str]] = {}
    for form in forms[:1]:
        for name, value in form.defaults:
            data.setdefault(name, []).append(value)
        options = form.options
    data.pop("csrfmiddlewaretoken", None)
    override = OVERRIDES.get(route.name)
    if override is not None:
        data.update({k: [v] for k, v in override(w, options, field_name).items()})
    return Target(url, data, kwargs, placed=bool(extra))


# --- one case -----------------------------------------------------------------------------------
@dataclass
class Answer:
    status: int
    kind: str  # html | json | redirect | text | csv | crash
    refused: bool
    for_field: list[str]  # messages tied to the field
    any_error: list[str]  # every error message seen
    summary: str


def _crash(exc: BaseException) -> Answer:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(ROOT)) and "/.venv/" not in f.filename]
    where = ours[-1] if ours else frames[-1]
    short = f"{where.filename.removeprefix(str(ROOT) + '/')}:{where.lineno} in {where.name}"
    return Answer(500, "crash", True, [], [], f"{type(exc).__name__}: {exc} ({short})"[:300])


def _read(resp, route: Route, fields: dict[Field, set[str]]) -> Answer:
    """What the answer says; ``fields`` (with their labels on the page) are the ones it should
    name if it refuses."""

    def naming(texts):
        return [t for t in texts if any(pages.names_field(t, g, ls) for g, ls in fields.items())]

    status = resp.status_code
    ctype = resp.get("Content-Type", "")
    if 300 <= status < 400:
        msgs = [(m.level, str(m)) for m in get_messages(resp.wsgi_request)]
        errors = [t for level, t in msgs if level >= message_levels.ERROR]
        target = resp.get("Location", "")
        return Answer(status, "redirect", bool(errors), naming(errors), errors, f"-> {target}")
    body = b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content
    text = body.decode(errors="replace")
    if "json" in ctype:
        doc = json.loads(text)
        errors = doc.get("errors") or {}
        messages = [str(doc.get(k)) for k in ("message", "error", "detail") if doc.get(k)]
        refused = status >= 400 or doc.get("ok") is False or bool(errors)
        named = [" ".join(map(str, errors[g.name])) for g in fields if errors.get(g.name)]
        flat = [f"{k}: {' '.join(map(str, v))}" for k, v in errors.items()] + messages
        return Answer(status, "json", refused, named + naming(messages), flat, text[:200])
    if "html" in ctype:
        root = pages.parse_html(text, options=False)
        same = [
            form
            for form in pages.page_forms(root)
            if form.method == "post" and (not form.action or _route_name(form.action) == route.name)
        ]
        named = [e for g, ls in fields.items() for e in pages.html_field_errors(root, g, ls)]
        errors = pages.html_any_errors(root)
        return Answer(status, "html", status >= 400 or bool(same), named, errors, "a page")
    if "csv" in ctype:
        lines = [line for line in text.splitlines() if line.strip()]
        return Answer(status, "csv", status >= 400, [], [], f"CSV, {len(lines)} lines")
    return Answer(status, "text", status >= 400, naming([text]), [text[:200]], text[:200])


def _client(world: World) -> Client:
    """The module's one client (building a client's handler costs more than a case), signed in
    afresh: the last case's session rolled back with it."""
    client = world.client
    client.cookies.clear()
    # A fresh address per case: failed sign-ins count per address and per username.
    n = next(_seq)
    client.defaults["REMOTE_ADDR"] = f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250}"
    _sign_in(client, world.owner)
    return client


def _sign_in(client: Client, user) -> None:
    """What ``tests.factories.login`` leaves behind (a session just confirmed, no second
    factor), written in one INSERT: the sign-in signals and their writes cost a case's worth."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.twofactor import mark_fresh_auth

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "accounts.backends.UserBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    mark_fresh_auth(store)
    store.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key


def _clear_throttles(*usernames: str) -> None:
    from accounts import throttle

    for scope in ("login", "reauth", "otp"):
        for username in usernames:
            throttle.attempt_succeeded(scope=scope, username=username)


def _post(client: Client, url: str, data: dict, route: Route, fields: dict[Field, set[str]]):
    headers = {"HTTP_ACCEPT": "application/json"} if route.name in JSON_POSTED else {}
    body = urlencode(data, doseq=True)
    try:
        with override_settings(**ROUTE_SETTINGS.get(route.name, {})):
            resp = client.post(
                url, body, content_type="application/x-www-form-urlencoded", **headers
            )
        return _read(resp, route, fields)
    except Exception as exc:
        return _crash(exc)


def _verdict(route: Route, f: Field, value: str, answer: Answer, keyed: dict, changed: list):
    if answer.status >= 500:
        return [f"{answer.status}: {answer.summary}"]
    must = must_refuse(f, value)
    if not answer.refused:
        return [f"accepted a value no {f.kind} field can take: {answer.summary}"] if must else []
    if keyed:
        if must:
            return [f"sent it to the exchange ({keyed}) instead of refusing it: {answer.summary}"]
        if set(keyed) & MONEY_MOVING:
            # An order or transfer the exchange refused: the desk checks orders locally with the
            # exchange's own rules (binanceus.check_order) and its known balances, so a refusal
            # there is a check missing here.
            return [f"sent an order the exchange refused ({keyed}): {answer.summary}"]
        return []  # keys and rails only the exchange can judge
    problems = []
    if changed:
        problems.append(f"refused, yet rows changed: {changed}")
    # A value that may be valid can make another field's rule refuse the submission (an empty
    # "market by" asks for a quantity): any message will do then. So it will for a field nobody
    # types, for a form answering without naming fields on purpose, and for a form with one field
    # to type (it can only be about that one).
    anything = (
        not must_refuse(f, value)
        or f.hidden
        or f.name in FIELDLESS_REFUSALS.get(route.name, ())
        or sum(not g.hidden for g in route.fields) == 1
    )
    if not (answer.any_error if anything else answer.for_field):
        problems.append(
            f"refused with no message for {f.name!r} ({answer.kind} {answer.status}; "
            f"messages: {answer.any_error[:3]})"
        )
    return problems


def _run_post(world: World, route: Route, f: Field, value: str | None):
    client = _client(world)
    target = _target(world, route, client, f.name)
    data = target.data
    if value is not None:
        text = _taken(route, f, data, target.kwargs) if value == "taken" else VALUES[value]
        for name in (f.name, MIRRORS.get((route.name, f.name))):
            if name:
                data[name] = [text]
    _clear_throttles(world.owner.username, *(data.get("username") or []))
    by_name = {g.name: g for g in route.fields}
    fields = {
        by_name[name]: world.labels.get(route.name, {}).get(name, set())
        for name in (f.name, MIRRORS.get((route.name, f.name)))
        if name
    }
    rows, before = side_effects.rows_snapshot(), world.tally.keyed()
    answer = _post(client, target.url, data, route, fields)
    keyed = world.tally.since(before, world.tally.keyed())
    changed = side_effects.rows_changed(rows, side_effects.rows_snapshot())
    if target.placed or (route.namespace == "trading" and set(keyed) & MONEY_MOVING):
        _cancel_open_orders(world)
    OUTCOMES.append(
        {
            "case": f"{route.name}|{f.name}|{value}",
            "status": answer.status,
            "refused": answer.refused,
            "keyed": keyed,
            "changed": changed,
            "summary": answer.summary,
            "errors": answer.any_error[:3],
        }
    )
    return answer, keyed, changed


# --- tests --------------------------------------------------------------------------------------
def test_it_found_the_forms_it_should_check():
    names = {r.name for r in POST_ROUTES}
    assert {"accounts:create", "transfers:schedule-new", "trading:order-place"} <= names
    assert names >= JSON_POSTED, "a JSON-posted route is gone: update JSON_POSTED"
    fields = {(r.name, f.name) for r in POST_ROUTES for f in r.fields}
    assert {("transfers:new", "amount"), ("trading:order-replace", "quantity")} <= fields
    lists = {r.name for r in FILTERED}
    assert {"audit:list", "audit:export", "transfers:history-csv", "history:trades"} <= lists


@pytest.mark.django_db
def test_it_knows_every_field_the_pages_post(world):
    """What the discovery read from the code matches what the pages submit: no <form> posts a
    field (or a filter) that this matrix does not feed bad values."""
    by_name = {r.name: r for r in ROUTES}
    missing = []
    for target, forms in world.forms.items():
        route = by_name[target]
        known = {f.name for f in (route.fields if route.accepts_post else route.filters)}
        for form in forms:
            extra = form.names - known - {"csrfmiddlewaretoken", "page"}
            if form.method == "get" and not (route.is_list or route.is_csv):
                continue  # a picker (which connection to show), not a filter
            missing += [f"{target}: {name}" for name in sorted(extra)]
    assert not missing, "fields posted by the pages but not discovered: " + ", ".join(missing)


@pytest.mark.django_db
def test_it_classified_every_list_and_export(world, monkeypatch):
    """Pages that paginate under a filter form, and answers in CSV, are all in the matrix."""
    from django.template import Template
    from django.test.utils import instrumented_test_render

    monkeypatch.setattr(Template, "_render", instrumented_test_render)  # for response.context
    client = _client(world)
    by_name = {r.name: r for r in ROUTES}
    wrong = []
    for name, status in world.pages.items():
        route = by_name[name]
        if status != 200 or "symbol" in route.kwargs:
            continue
        resp = client.get(world.url(route))
        is_csv = "csv" in resp.get("Content-Type", "")
        page = (resp.context or {}).get("page") if not is_csv else None
        is_list = page is not None and hasattr(page, "paginator")
        if is_csv != route.is_csv or (is_list and not route.is_list):
            wrong.append(f"{name}: csv={is_csv} list={is_list}")
    assert not wrong, wrong


# Fields whose cases start from a submission of their own (see _ticket and _connection).
VARIANTS = {
    "accounts:create": ("rail",),
    **dict.fromkeys(
        ("trading:order-check", "trading:order-test", "trading:order-place"),
        ("quote_order_qty", "stop_price", "trailing_delta"),
    ),
}
BASELINES = [
    pytest.param(r, f, id=f"{r.name}|{f.name}")
    for r in POST_ROUTES
    if r.fields and r.name not in NO_BASELINE
    for f in r.fields
    if f is r.fields[0] or f.name in VARIANTS.get(r.name, ())
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "f"), BASELINES)
def test_it_accepts_the_baseline(world, route, f):
    """Each case changes one field of a submission that is otherwise accepted."""
    answer, _, _ = _run_post(world, route, f, None)
    assert answer.status < 500 and not answer.refused, (
        f"baseline refused: {answer.summary} {answer.any_error[:3]}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "f", "value"), list(_post_cases()))
def test_it_refuses_bad_input_cleanly(world, route, f, value):
    answer, keyed, changed = _run_post(world, route, f, value)
    problems = _verdict(route, f, value, answer, keyed, changed)
    assert not problems, "; ".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "f", "value"), list(_filter_cases()))
def test_it_refuses_bad_filters_cleanly(world, route, f, value):
    client = _client(world)
    labels = world.labels.get(route.name, {}).get(f.name, set())
    url = world.url(route) + "?" + urlencode({f.name: VALUES[value]})
    try:
        answer = _read(client.get(url), route, {f: labels})
    except Exception as exc:
        answer = _crash(exc)
    assert answer.status < 500, answer.summary
    if not must_refuse(f, value):
        return
    if route.is_csv:  # a 400, or the list page: never a wider export than asked for
        assert answer.kind != "csv", f"exported although the filter is unusable: {answer.summary}"
    assert answer.for_field, (
        f"no message for the {f.name!r} filter ({answer.kind} {answer.status}; "
        f"messages: {answer.any_error[:3]})"
    )


# --- periodic tasks beside a poisoned row -------------------------------------------------------
# Each beat task runs with two connections: one whose stored keys cannot be decrypted (made
# first, so a loop that dies on it never reaches the other), one healthy with real sandbox keys.
# Neither the task nor anything it queues may raise, and the healthy row must be processed.
@dataclass(frozen=True)
class BeatWork:
    """What a beat task works on (made for both connections) and what "processed" means."""

    prepare: object  # (connection, sub-account email) -> the row made, or None
    processed: object  # (healthy connection, its row) -> bool


def _due_schedule(connection, sub: str):
    from transfers.models import TransferSchedule

    at = timezone.now() - timedelta(minutes=1)
    return TransferSchedule.objects.create(
        connection=connection,
        name="beat",
        from_email="",
        to_email=sub,
        asset="USD",
        amount_kind="fixed",
        amount=Decimal("1"),
        recurrence="hourly",
        starts_at=at,
        next_run_at=at,
    )


def _unknown_run(connection, sub: str):
    from django.conf import settings

    from transfers.models import TransferRun

    sent = timezone.now() - timedelta(seconds=settings.TRANSFER_RECONCILE_GRACE_SECONDS + 60)
    return TransferRun.objects.create(
        connection=connection,
        planned_at=sent,
        to_email=sub,
        asset="USD",
        amount_kind="fixed",
        amount_param=Decimal("1"),
        amount=Decimal("1"),
        status="unknown",
        sent_at=sent,
    )


def _unknown_order(connection, sub: str):
    from django.conf import settings

    import binanceus
    from trading.models import Order

    then = timezone.now() - timedelta(seconds=settings.ORDER_RECONCILE_GRACE_SECONDS + 60)
    order = Order.objects.create(
        connection=connection,
        symbol=SYMBOL,
        client_order_id=binanceus.generate_client_order_id(),
        origin="desk",
        side="BUY",
        type="LIMIT",
        status="UNKNOWN",
        unknown_since=then,
    )
    Order.objects.filter(pk=order.pk).update(created_at=then)
    return order


def _nothing(connection, sub: str):
    return None


def _never_synced(connection, sub: str):
    type(connection).objects.filter(pk=connection.pk).update(balances_synced_at=None)
    connection.balances.all().delete()


def _synced_balances(c, _):
    return c.balances_synced_at is not None and c.balances.exists()


def _run_executed(c, schedule):
    return schedule.runs.filter(status="executed").exists()


def _settled(c, row):
    row.refresh_from_db()
    return row.status.lower() != "unknown"


def _history_copied(c, _):
    from transfers.models import TransferHistoryCursor

    return TransferHistoryCursor.objects.filter(connection=c, synced_at__isnull=False).exists()


def _account_history_synced(c, _):
    return c.history_syncs.filter(synced_at__isnull=False).exists()


def _wallet_activity_synced(c, _):
    return c.wallet_activity_syncs.filter(synced_at__isnull=False).exists()


def _portfolio_snapshot_taken(c, _):
    return c.user.portfolio_snapshots.filter(total_usd__gt=0).exists()


def _listen_key_kept(c, _):
    from trading.orders import userdata

    return userdata.listen_key_get(connection_id=c.pk) is not None


BEAT_WORK = {
    "accounts.tasks.sync_all_balances": BeatWork(_never_synced, _synced_balances),
    "transfers.tasks.plan_transfers": BeatWork(_due_schedule, _run_executed),
    "transfers.tasks.reconcile_transfers": BeatWork(_unknown_run, _settled),
    "transfers.tasks.sync_transfer_history_all": BeatWork(_nothing, _history_copied),
    "trading.history.tasks.sync_history_all": BeatWork(_nothing, _account_history_synced),
    "trading.tasks.reconcile_orders": BeatWork(_unknown_order, _settled),
    "trading.tasks.keep_listen_keys_alive": BeatWork(_nothing, _listen_key_kept),
    "wallet.activity.tasks.sync_wallet_activity_all": BeatWork(_nothing, _wallet_activity_synced),
    "wallet.withdrawals.tasks.reconcile_withdrawals": BeatWork(unknown_withdrawal, _settled),
    "wallet.withdrawals.tasks.follow_withdrawals": BeatWork(sent_withdrawal, withdrawal_followed),
    "wallet.staking.tasks.reconcile_staking": BeatWork(unknown_stake, _settled),
    "wallet.staking.tasks.sync_staking_all": BeatWork(staking_watched, staking_synced),
    "wallet.staking.tasks.plan_auto_stakes": BeatWork(due_auto_stake, auto_stake_ran),
    "custody.tasks.reconcile_custody": BeatWork(unknown_custody_transfer, _settled),
    "custody.tasks.sync_custody_all": BeatWork(custody_watched, custody_synced),
    "creditline.tasks.reconcile_credit_transfers": BeatWork(unknown_credit_transfer, _settled),
    "convert.tasks.reconcile_conversions": BeatWork(unknown_otc_conversion, _settled),
    "rewards.tasks.sync_rewards_all": BeatWork(watched_for_rewards, rewards_synced),
    "rewards.tasks.sweep_broker_exports": BeatWork(lost_export, export_ready),
    "dashboard.tasks.snapshot_portfolios": BeatWork(_nothing, _portfolio_snapshot_taken),
}


def _beat_entries() -> list[str]:
    from django.conf import settings

    return sorted(settings.CELERY_BEAT_SCHEDULE)


def _poison(connection, how: str) -> None:
    """``undecryptable``: keys no configured encryption key opens (a tampered row, a retired
    key). ``unsendable``: keys that decrypt to text no HTTP header can carry (a row written by
    hand, or by an older import that checked nothing)."""
    from accounts import crypto
    from accounts.models import ExchangeConnection

    token = "gAAAAAB-not-a-token" if how == "undecryptable" else crypto.encrypt("ключ\r\nX: 1")
    ExchangeConnection.objects.filter(pk=connection.pk).update(
        api_key_encrypted=token, api_secret_encrypted=token
    )


def _run_with_everything_it_queues(task_name: str, capture_on_commit) -> list[str]:
    """Run the task in this process, then every task it queues (and those queue), each once
    and on its own, as workers would: what each one raised."""
    from unittest import mock

    from celery.app.task import Task
    from kombu.utils.imports import symbol_by_name

    queue: list[tuple[Task, tuple, dict]] = [(symbol_by_name(task_name), (), {})]

    def enqueue(self, args=None, kwargs=None, **options):
        queue.append((self, tuple(args or ()), dict(kwargs or {})))

    seen, raised = set(), []
    with mock.patch.object(Task, "apply_async", enqueue):
        while queue:
            task, args, kwargs = queue.pop(0)
            if (task.name, args) in seen:
                continue  # a task queuing itself again later (a retry) runs once here
            seen.add((task.name, args))
            try:
                with capture_on_commit(execute=True):
                    task(*args, **kwargs)
            except Exception as exc:
                raised.append(f"{task.name}{args}: {_crash(exc).summary}")
    return raised


@pytest.mark.django_db
@pytest.mark.parametrize("poison", ["undecryptable", "unsendable"])
@pytest.mark.parametrize("entry", _beat_entries())
def test_it_runs_each_beat_task_past_a_poisoned_row(
    entry, poison, sandbox_url, fast_hashers, django_capture_on_commit_callbacks
):
    from django.conf import settings

    from accounts import services
    from accounts.models import ExchangeConnection

    task_name = settings.CELERY_BEAT_SCHEDULE[entry]["task"]
    assert task_name in BEAT_WORK, f"say in BEAT_WORK what {task_name} ({entry}) does to a row"
    work = BEAT_WORK[task_name]
    owner = make_user()
    email, account, subs = _master_account(sandbox_url)
    poisoned = make_connection(owner)  # first: a loop that dies on it never reaches the other
    healthy = make_connection(owner, api_key=account["apiKey"], api_secret=account["secretKey"])
    ExchangeConnection.objects.filter(user=owner).update(account_email=email)
    services.subaccounts_sync(connection_id=healthy.pk)
    services.connection_sync_balances(connection_id=healthy.pk)
    for sub in healthy.subaccounts.all():  # the poisoned row lists the same sub-accounts
        sub.pk, sub.connection = None, poisoned
        sub.save()
    rows = {c.pk: work.prepare(c, subs[0]) for c in (poisoned, healthy)}
    _poison(poisoned, poison)

    raised = _run_with_everything_it_queues(task_name, django_capture_on_commit_callbacks)

    assert not raised, f"{task_name} raised: " + " | ".join(raised)
    healthy.refresh_from_db()
    assert work.processed(healthy, rows[healthy.pk]), f"{task_name} left the healthy row alone"
