"""A custodial connection's balances are synced by the same sweep as every other connection's:
its exchange wallet becomes the connection's balances, its custodial side the Custody tab's."""

from decimal import Decimal

import pytest

from accounts.models import Balance
from accounts.services.balances import connection_sync_balances
from custody.models import CustodialBalance

pytestmark = pytest.mark.django_db


def test_the_balance_sweep_reads_both_wallets_of_a_custodial_key(custody_master):
    conn, _ = custody_master
    Balance.objects.filter(connection=conn).delete()
    connection_sync_balances(connection_id=conn.pk)
    conn.refresh_from_db()
    assert conn.balances_synced_at is not None and conn.last_sync_error == ""
    wallet = {b.asset: b.free for b in Balance.objects.filter(connection=conn)}
    assert wallet["BTC"] == Decimal("2")  # tests/custody/conftest.py WALLET
    custodial = {b.asset: b.free for b in CustodialBalance.objects.filter(connection=conn)}
    assert custodial["BTC"] == Decimal("1")  # CUSTODY["balances"]
