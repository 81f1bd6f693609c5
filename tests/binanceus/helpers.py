"""Assertions shared by the unit tests of the typed methods."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from .fakes import SPEC_API_KEY, SPEC_SECRET, Recorded


def assert_signed(rec: Recorded) -> None:
    """The request carries the key header, a timestamp and a valid HMAC over its params."""
    assert rec.headers["X-MBX-APIKEY"] == SPEC_API_KEY
    assert "timestamp" in rec.params and "recvWindow" in rec.params
    assert rec.signature_valid(SPEC_SECRET)


def sent_params(rec: Recorded) -> dict[str, str]:
    """The request's own parameters (without timestamp / recvWindow / signature)."""
    return {
        k: v for k, v in rec.params.items() if k not in ("timestamp", "recvWindow", "signature")
    }


def walk(value: Any) -> list[Any]:
    """Every leaf value inside (nested) dataclasses, lists, tuples and dicts."""
    out: list[Any] = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name != "raw":
                out += walk(getattr(value, f.name))
    elif isinstance(value, list | tuple):
        for v in value:
            out += walk(v)
    elif isinstance(value, dict):
        for v in value.values():
            out += walk(v)
    else:
        out.append(value)
    return out


def assert_typed(value: Any) -> None:
    """No floats anywhere; every datetime is timezone-aware."""
    leaves = walk(value)
    assert not any(isinstance(v, float) for v in leaves), leaves
    for v in leaves:
        if isinstance(v, datetime):
            assert v.tzinfo is not None and v.utcoffset().total_seconds() == 0
