"""Included by ``desk.urls`` under ``/connections/`` (namespace ``custody``)."""

from django.urls import path

from custody import views
from custody.models import TransferKind
from custody.orders import views as orders

app_name = "custody"

urlpatterns = [
    path("<int:pk>/custody/", views.index, name="index"),
    path("<int:pk>/custody/live/", views.custody_live, name="live"),
    path("<int:pk>/custody/sync/", views.custody_sync_now, name="sync"),
    path(
        "<int:pk>/custody/wallet-transfer/",
        views.custody_transfer,
        {"kind": TransferKind.WALLET.value},
        name="wallet-transfer",
    ),
    path(
        "<int:pk>/custody/custodian-transfer/",
        views.custody_transfer,
        {"kind": TransferKind.CUSTODIAN.value},
        name="custodian-transfer",
    ),
    path("<int:pk>/custody/undo/", views.custody_undo, name="undo"),
    path("<int:pk>/custody/transfers/<int:tid>.json", views.transfer_json, name="transfer"),
    path("<int:pk>/custody/transfers.csv", views.transfers_csv, name="transfers-csv"),
    path("<int:pk>/custody/orders/check/", orders.order_check, name="order-check"),
    path("<int:pk>/custody/orders/place/", orders.order_place, name="order-place"),
    path("<int:pk>/custody/orders/<int:oid>/cancel/", orders.order_cancel, name="order-cancel"),
    path("<int:pk>/custody/orders/desk/<int:coid>.json", orders.order_json, name="order"),
    path("<int:pk>/custody/orders.csv", orders.orders_csv, name="orders-csv"),
    path("<int:pk>/custody/trades.csv", orders.trades_csv, name="trades-csv"),
]
