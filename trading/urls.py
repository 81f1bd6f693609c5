from django.urls import path

from trading import order_views, views

app_name = "trading"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("health/", views.health, name="health"),
    path("health.json", views.health_json, name="health-json"),
    # Orders of one connection (pk); order_pk / list_pk are the desk's own row ids.
    path("orders/connections.json", order_views.connections_json, name="trading-connections"),
    path("orders/<int:pk>/", order_views.orders_page, name="orders"),
    path("orders/<int:pk>/open.json", order_views.open_orders_json, name="open-orders-json"),
    path("orders/<int:pk>/check/", order_views.order_check, name="order-check"),
    path("orders/<int:pk>/test/", order_views.order_test, name="order-test"),
    path("orders/<int:pk>/place/", order_views.order_place, name="order-place"),
    path("orders/<int:pk>/cancel-all/", order_views.orders_cancel_all, name="orders-cancel-all"),
    path("orders/<int:pk>/preferences/", order_views.preferences_save, name="preferences"),
    path("orders/<int:pk>/<int:order_pk>/cancel/", order_views.order_cancel, name="order-cancel"),
    path(
        "orders/<int:pk>/<int:order_pk>/replace/",
        order_views.order_replace,
        name="order-replace",
    ),
    path("orders/<int:pk>/oco/", order_views.oco_place, name="oco-place"),
    path("orders/<int:pk>/oco/<int:list_pk>/cancel/", order_views.oco_cancel, name="oco-cancel"),
    path("<str:symbol>/", views.market, name="market"),
    path("<str:symbol>/klines.json", views.klines, name="klines"),
]
