"""What the sandbox clock makes due in a custody: custodian transfers processed, settlements
triggered and completed.

Run lazily: `custody.custody_of` calls `catch_up` at the start of every custody request (the
history reads included), so moving the sandbox clock (`advanceMs`) makes it happen at the next
call, exactly at the due times (rows carry the due time, not the time of the call).

A custodianTransfer (spec L7751: answered "Transfer request received "):

    received (history status "PROCESS") --processing_ms--> SUCCESS: partner -> custodial free
                                                      \\-> FAILURE: the partner no longer holds
                                                           the amount (an express trade used it
                                                           meanwhile); nothing moves

Settlement, while settlementActive and nextTriggerTime > 0 (spec L9261-9274):

    nextTriggerTime reached: each settlementEligible asset's whole free custodial balance
        free -> inSettlement; a PROCESS record lists it; nextTriggerTime += frequencyInHours
    processing_ms later:
        no asset of the run among `failing_assets`: inSettlement -> partner; SUCCESS
        otherwise (admin: "failingSettlementAssets"): inSettlement -> free again; FAILURE,
            with "settlementAssets": [] as the spec's FAILURE examples show

Triggers the clock jumped over collapse into one run at the latest missed trigger time; a
trigger with nothing to settle leaves no record.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING

from .decimals import ZERO
from .wallet_catalog import plain

if TYPE_CHECKING:
    from .custody import Custody

HOUR_MS = 3_600_000
PROCESS, SUCCESS, FAILURE = "PROCESS", "SUCCESS", "FAILURE"
NETWORK = {"BTC": "BTC", "ETH": "ETH", "SOL": "SOL", "USDT": "ETH", "USD": "USD"}


def catch_up(custody: Custody, now: int) -> None:
    _process_transfers(custody, now)
    _trigger_settlement(custody, now)
    _finish_settlements(custody, now)


def _process_transfers(custody: Custody, now: int) -> None:
    for t in custody.custodian_transfers:
        due = t.create_time + custody.processing_ms
        if t.status != PROCESS or due > now:
            continue
        t.update_time = due
        if custody.partner.get(t.asset, ZERO) < t.amount:
            t.status = FAILURE
            continue
        custody.partner[t.asset] -= t.amount
        custody.bal(t.asset).free += t.amount
        custody.updated[t.asset] = due
        t.status = SUCCESS


def _trigger_settlement(custody: Custody, now: int) -> None:
    setting = custody.settlement_setting
    next_at = setting["nextTriggerTime"]
    if not setting["settlementActive"] or not next_at or now < next_at:
        return
    period = setting["frequencyInHours"] * HOUR_MS
    at = next_at + (now - next_at) // period * period
    setting["nextTriggerTime"] = at + period
    amounts = {
        asset: custody.balances[asset].free
        for asset in custody.settlement_eligible
        if asset in custody.balances and custody.balances[asset].free > 0
    }
    if not amounts:
        return
    for asset, amount in amounts.items():
        custody.bal(asset).free -= amount
        custody.in_settlement[asset] = custody.in_settlement.get(asset, ZERO) + amount
        custody.updated[asset] = at
    record = {
        "status": PROCESS,
        "triggerTime": at,
        "settlementId": settlement_id(custody, at),
        "settlementAssets": [
            {
                "asset": asset,
                "settleTo": custody.account_id,
                "network": NETWORK.get(asset, asset),
                "amount": plain(amount),
            }
            for asset, amount in amounts.items()
        ],
    }
    custody.settlements.append(record)
    custody.settling.append((record, amounts))


def _finish_settlements(custody: Custody, now: int) -> None:
    waiting = []
    for record, amounts in custody.settling:
        due = record["triggerTime"] + custody.processing_ms
        if due > now:
            waiting.append((record, amounts))
            continue
        failed = any(asset in custody.failing_assets for asset in amounts)
        for asset, amount in amounts.items():
            _release(custody, asset, amount, back_to_free=failed)
            custody.updated[asset] = due
        record["status"] = FAILURE if failed else SUCCESS
        if failed:
            record["settlementAssets"] = []
    custody.settling = waiting


def _release(custody: Custody, asset: str, amount: Decimal, *, back_to_free: bool) -> None:
    custody.in_settlement[asset] -= amount
    if back_to_free:
        custody.bal(asset).free += amount
    else:
        custody.partner[asset] = custody.partner.get(asset, ZERO) + amount


def settlement_id(custody: Custody, trigger_time: int) -> str:
    """32 hex digits like the spec's ("1a22baf2329845b997eff2bc9a700504"), repeatable."""
    seed = f"{custody.rail}:{custody.account_id}:{trigger_time}"
    return hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()


# ---- admin inputs ----------------------------------------------------------------------------


def parse_setting(setting: object) -> dict | None:
    """The admin's settlementSetting, checked (ValueError); None when not sent."""
    if setting is None:
        return None
    if not isinstance(setting, dict) or not set(setting) <= {
        "settlementActive",
        "frequencyInHours",
        "nextTriggerTime",
    }:
        raise ValueError(
            "settlementSetting takes settlementActive/frequencyInHours/nextTriggerTime"
        )
    active, hours = setting.get("settlementActive", True), setting.get("frequencyInHours", 1)
    trigger = setting.get("nextTriggerTime", 0)
    if not isinstance(active, bool):
        raise ValueError("settlementActive must be true or false")
    for name, value, low in (("frequencyInHours", hours, 1), ("nextTriggerTime", trigger, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}")
    return setting


def parse_records(records: object, rail: str) -> list[dict] | None:
    """The admin's settlementRecords as settlementHistory rows; None when not sent."""
    if records is None:
        return None
    if not isinstance(records, list) or not all(
        isinstance(r, dict) and isinstance(r.get("triggerTime"), int) for r in records
    ):
        raise ValueError("settlementRecords must be a list of records with an int triggerTime")
    return [
        {
            "status": r.get("status", "SUCCESS"),
            "triggerTime": r["triggerTime"],
            "settlementId": r.get("settlementId", f"{rail.lower()}{r['triggerTime']}"),
            "settlementAssets": r.get("settlementAssets", []),
        }
        for r in records
    ]
