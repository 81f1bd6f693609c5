"""The REST route table: (method, path) -> handler.

Each handler module registers its handlers with `@route(...)` beside their definitions, so a
module's endpoints are listed where they are implemented, not in a second table. `app.py`
imports every handler module (HANDLER_MODULES) so the table is complete before the first
request. This module imports nothing of the sandbox at run time, so that any module (even one
`state.py` needs, like accounting) can register handlers without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ctx import Ctx

Handler = Callable[["Ctx"], object]

ROUTES: dict[tuple[str, str], Handler] = {}


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `method path`."""

    def register(handler: Handler) -> Handler:
        if (method, path) in ROUTES:
            raise ValueError(f"two handlers for {method} {path}")
        ROUTES[method, path] = handler
        return handler

    return register
