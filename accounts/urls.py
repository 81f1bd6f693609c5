from django.urls import path

from accounts.views import connections as views
from trading import order_views
from trading import views as trading_views
from transfers import views as transfer_views

app_name = "accounts"

urlpatterns = [
    path("", views.connection_list, name="list"),
    path("add/", views.connection_create, name="create"),
    path("<int:pk>/", views.connection_detail, name="detail"),
    path("<int:pk>/rename/", views.connection_rename, name="rename"),
    path("<int:pk>/keys/", views.connection_replace_keys, name="replace-keys"),
    path("<int:pk>/toggle/", views.connection_toggle, name="toggle"),
    path(
        "<int:pk>/subaccounts/refresh/",
        views.connection_refresh_subaccounts,
        name="refresh-subaccounts",
    ),
    path("<int:pk>/delete/", views.connection_delete, name="delete"),
    # The connection page's tabs (accounts.tabs), each the area's own view for this connection;
    # History lives at <pk>/history/ (trading.history.urls). The areas' older URLs stay.
    path("<int:pk>/trade/", trading_views.connection_trade, name="trade"),
    path("<int:pk>/orders/", order_views.orders_page, name="orders"),
    path("<int:pk>/transfers/", transfer_views.subaccount_list, name="transfers"),
]
