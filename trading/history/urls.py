from django.urls import path

from trading.history import views
from trading.models import HistoryKind

app_name = "history"

# Included under /connections/: ``pk`` is always the user's connection.
urlpatterns = [
    path("history/", views.history_index, name="index"),
    path(
        "<int:pk>/history/",
        views.history_list,
        {"kind": HistoryKind.TRADES},
        name="trades",
    ),
    path(
        "<int:pk>/history/orders/",
        views.history_list,
        {"kind": HistoryKind.ORDERS},
        name="orders",
    ),
    path(
        "<int:pk>/history/oco/",
        views.history_list,
        {"kind": HistoryKind.ORDER_LISTS},
        name="order-lists",
    ),
    path(
        "<int:pk>/history/prevented/",
        views.history_list,
        {"kind": HistoryKind.PREVENTED},
        name="prevented",
    ),
    path("<int:pk>/history/progress.json", views.history_progress, name="progress"),
    path("<int:pk>/history/sync/", views.history_sync_now, name="sync"),
    path("<int:pk>/history/symbols/", views.history_symbol_add, name="symbol-add"),
    path("<int:pk>/history/trades.csv", views.trades_csv, name="trades-csv"),
    path("<int:pk>/history/orders.csv", views.orders_csv, name="orders-csv"),
]
