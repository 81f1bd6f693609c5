from django.urls import path

from trading.history import views
from trading.models import HistoryKind

app_name = "history"

# One page per kind of history (the tabs of the history page), the trades' first.
TAB_PATHS = [
    ("", HistoryKind.TRADES, "trades"),
    ("orders/", HistoryKind.ORDERS, "orders"),
    ("oco/", HistoryKind.ORDER_LISTS, "order-lists"),
    ("prevented/", HistoryKind.PREVENTED, "prevented"),
]

# Included under /connections/: ``pk`` is always the user's connection.
urlpatterns = [
    path("history/", views.history_index, name="index"),
    *(
        path(f"<int:pk>/history/{tail}", views.history_list, {"kind": kind}, name=name)
        for tail, kind, name in TAB_PATHS
    ),
    path("<int:pk>/history/progress.json", views.history_progress, name="progress"),
    path("<int:pk>/history/sync/", views.history_sync_now, name="sync"),
    path("<int:pk>/history/symbols/", views.history_symbol_add, name="symbol-add"),
    path("<int:pk>/history/trades.csv", views.trades_csv, name="trades-csv"),
    path("<int:pk>/history/orders.csv", views.orders_csv, name="orders-csv"),
]
