"""Models parsed from their declarations.

A model is a frozen dataclass deriving from :class:`Model`; each field's annotation says how
its wire value is converted and :func:`wire` says where it comes from when the camelCase of
the field name is not it::

    @model
    class Fill(Model):
        price: Decimal                                  # "price", required
        commission: Decimal = wire(missing="0")         # "commission", "0" when absent
        commission_asset: str | None                    # "commissionAsset", None when absent
        trade_id: int | None                            # "tradeId"

Conversions by annotation: ``Decimal`` (:func:`to_decimal`), ``int``, ``str``, ``bool``
(``"true"`` / ``"false"`` strings too), ``datetime`` (exchange milliseconds; ``0`` / negative
is "not set" for optional times), :data:`MsOrSeconds` (the same, but values below 1e11 are
seconds), nested models (their own ``from_api``), ``list`` / ``tuple`` / ``dict`` of those,
``Any`` (as is). A field named ``raw`` receives the whole payload.

When a value is absent (or null): the declared ``missing`` value, else ``None`` for an
optional field, else the dataclass default, else an empty container, else ``KeyError``.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import (
    Annotated,
    Any,
    Self,
    TypeVar,
    Union,
    dataclass_transform,
    get_args,
    get_origin,
    get_type_hints,
)

from ._time import from_ms

__all__ = ["Model", "MsOrSeconds", "camel", "each", "model", "parse", "to_decimal", "wire"]

_REQUIRED: Any = object()


def to_decimal(value: Any) -> Decimal:
    """Decimal from a JSON number (already Decimal/int) or numeric string; floats go via str."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("boolean is not a number")
    if isinstance(value, int | str):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TypeError(f"cannot convert {type(value).__name__} to Decimal")


# Below this an exchange "time" is taken to be in seconds, not milliseconds: 1e11 ms is
# 1973-03-03 while 1e11 s is the year 5138. The spec's sub-account transfer history example
# prints "time": 1637789299 (seconds), every other time in milliseconds.
_SECONDS_BELOW = 100_000_000_000


def _ms_or_seconds(value: Any) -> datetime:
    v = int(value)
    return from_ms(v * 1000 if 0 < v < _SECONDS_BELOW else v)


MsOrSeconds = Annotated[datetime, _ms_or_seconds]
"""A time the spec prints in milliseconds, or in seconds in places."""


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def wire(
    name: str | None = None,
    *,
    stream: str | None = None,
    alt: Sequence[str] = (),
    missing: Any = _REQUIRED,
    parse: Callable[[Any], Any] | None = None,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    repr: bool = True,
    compare: bool = True,
) -> Any:
    """Declare where a field comes from when the camelCase of its name is not it.

    ``name``: the wire name (``"a.b"`` reads ``b`` inside ``a``); ``stream``: the name in
    stream events (:meth:`Model.from_stream`); ``alt``: names tried next; ``missing``: the
    wire value to assume when absent; ``parse``: a converter replacing the annotation's.
    ``default`` / ``default_factory`` / ``repr`` / ``compare`` go to :func:`dataclasses.field`.
    """
    meta = {"wire": (name, stream, tuple(alt), missing, parse)}
    return field(
        default=default,
        default_factory=default_factory,
        repr=repr,
        compare=compare,
        metadata=meta,
    )


M = TypeVar("M", bound=type)


@dataclass_transform(frozen_default=True, field_specifiers=(wire, field))
def model(cls: M) -> M:
    """``@dataclass(frozen=True, slots=True)`` for a :class:`Model` (``wire`` fields)."""
    return dataclass(frozen=True, slots=True)(cls)  # type: ignore[return-value]


def each(convert: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    """A ``parse`` for a list whose items ``convert`` turns into values."""

    def parse_list(rows: Any) -> list[Any]:
        return [convert(r) for r in rows or []]

    return parse_list


def camel(name: str) -> str:
    """The exchange's spelling of a snake_case name: ``start_time`` -> ``startTime``."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@dataclass(frozen=True, slots=True)
class _Plan:
    name: str
    keys: tuple[str, ...]
    stream_keys: tuple[str, ...]
    convert: Callable[[Any], Any]
    optional: bool
    missing: Any
    default: Callable[[], Any] | None
    empty: Any


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Model)


def _converter(tp: Any, owner: type) -> tuple[Callable[[Any], Any], Any]:
    """(convert a non-null value, the empty value of a container type or _REQUIRED)."""
    if get_origin(tp) is Annotated:
        return get_args(tp)[1], _REQUIRED
    if tp is Any:
        return (lambda v: v), _REQUIRED
    if tp is Decimal:
        return to_decimal, _REQUIRED
    if tp is bool:
        return _bool, _REQUIRED
    if tp in (int, str):
        return tp, _REQUIRED
    if tp is datetime:
        return from_ms, _REQUIRED
    if _is_model(tp):
        return tp.from_api, _REQUIRED
    origin, args = get_origin(tp), get_args(tp)
    if origin in (list, Sequence):
        item, _ = _converter(args[0], owner)
        skip_empty = _is_model(args[0])
        return (lambda v: [item(x) for x in v if x or not skip_empty]), []
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item, _ = _converter(args[0], owner)
            return (lambda v: tuple(item(x) for x in v)), ()
        convs = [_converter(a, owner)[0] for a in args]
        return (lambda v: tuple(c(x) for c, x in zip(convs, v, strict=True))), _REQUIRED
    if origin in (dict, Mapping):
        if args[1] is Any:
            return dict, {}
        key, _ = _converter(args[0], owner)
        value, _ = _converter(args[1], owner)
        return (lambda v: {key(k): value(x) for k, x in v.items()}), {}
    raise TypeError(f"{owner.__name__}: no conversion for {tp!r}; declare wire(parse=...)")


def _optional(tp: Any) -> tuple[Any, bool]:
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _plan(cls: type) -> tuple[_Plan, ...]:
    hints = get_type_hints(cls, vars(sys.modules[cls.__module__]), include_extras=True)
    plans = []
    for f in fields(cls):  # type: ignore[arg-type]
        name, stream, alt, missing, parse_fn = f.metadata.get(
            "wire", (None, None, (), _REQUIRED, None)
        )
        tp, optional = _optional(hints[f.name])
        if parse_fn is not None:
            convert, empty = parse_fn, _REQUIRED
        elif f.name == "raw":
            convert, empty = dict, {}
        else:
            convert, empty = _converter(tp, cls)
            base = get_args(tp)[0] if get_origin(tp) is Annotated else tp
            if optional and base is datetime:
                convert = _set_times_only(convert)
            if optional and _is_model(tp):
                convert = _nonempty(convert)
        default: Callable[[], Any] | None = None
        if f.default is not MISSING:
            default = (lambda d: lambda: d)(f.default)
        elif f.default_factory is not MISSING:
            default = f.default_factory
        key = name or camel(f.name)
        plans.append(
            _Plan(
                name=f.name,
                keys=(key, *alt),
                stream_keys=(stream, *alt) if stream else (key, *alt),
                convert=convert,
                optional=optional,
                missing=missing,
                default=default,
                empty=empty,
            )
        )
    return tuple(plans)


def _set_times_only(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Optional times: ``0`` / negative mean "not set"."""
    return lambda v: None if int(v) <= 0 else convert(v)


def _nonempty(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: convert(v) if v else None


def _lookup(data: Mapping[str, Any], key: str) -> Any:
    if "." not in key:
        return data.get(key)
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


_PLANS: dict[type, tuple[_Plan, ...]] = {}


def parse(cls: type, data: Mapping[str, Any], *, stream: bool = False, **given: Any) -> Any:
    """Build ``cls`` from ``data`` by its field declarations; ``given`` fields are taken as
    they are (for the few a declaration cannot say)."""
    plans = _PLANS.get(cls)
    if plans is None:
        plans = _PLANS[cls] = _plan(cls)
    values: dict[str, Any] = {}
    for p in plans:
        if p.name in given:
            values[p.name] = given[p.name]
            continue
        if p.name == "raw" and p.convert is dict:
            values["raw"] = dict(data)
            continue
        value = None
        for key in p.stream_keys if stream else p.keys:
            value = _lookup(data, key)
            if value is not None:
                break
        if value is None:
            if p.missing is not _REQUIRED:
                value = p.missing
            elif p.optional:
                values[p.name] = None
                continue
            elif p.default is not None:
                values[p.name] = p.default()
                continue
            elif p.empty is not _REQUIRED:
                value = p.empty
            else:
                raise KeyError((p.stream_keys if stream else p.keys)[0])
        values[p.name] = None if value is None else p.convert(value)
    return cls(**values)


class Model:
    """Base of the parsed models: ``from_api`` / ``from_stream`` read the declarations."""

    __slots__ = ()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        return parse(cls, data)  # type: ignore[no-any-return]

    @classmethod
    def from_stream(cls, data: Mapping[str, Any]) -> Self:
        """Parse a stream event (fields' ``stream`` names; the wire names where none)."""
        return parse(cls, data, stream=True)  # type: ignore[no-any-return]
