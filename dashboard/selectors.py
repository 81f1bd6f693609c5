from __future__ import annotations

from dataclasses import dataclass

from accounts.access import connection_get_for_user
from accounts.models import Balance, ExchangeConnection
from accounts.selectors import balance_list, connection_list_for_user


@dataclass(frozen=True)
class DashboardData:
    connections: list[ExchangeConnection]
    connection: ExchangeConnection | None
    balances: list[Balance]


def dashboard_data(*, user, connection_pk: int | None) -> DashboardData:
    connections = list(connection_list_for_user(user=user))
    if connection_pk is not None:
        connection = connection_get_for_user(user=user, pk=connection_pk)
    else:
        connection = connections[0] if connections else None
    balances = list(balance_list(connection=connection)) if connection else []
    return DashboardData(connections=connections, connection=connection, balances=balances)
