from django.urls import path

from trading import views

app_name = "trading"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("health/", views.health, name="health"),
    path("health.json", views.health_json, name="health-json"),
    path("<str:symbol>/", views.market, name="market"),
    path("<str:symbol>/klines.json", views.klines, name="klines"),
]
