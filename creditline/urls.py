"""Included by ``desk.urls`` under ``/connections/`` (namespace ``creditline``)."""

from django.urls import path

from creditline import views

app_name = "creditline"

urlpatterns = [
    path("<int:pk>/credit-line/", views.index, name="index"),
    path("<int:pk>/credit-line/live/", views.live, name="live"),
    path("<int:pk>/credit-line/poll/", views.poll_now, name="poll"),
    path("<int:pk>/credit-line/transfer/", views.transfer, name="transfer"),
    path(
        "<int:pk>/credit-line/transfers/<int:tid>.json", views.transfer_json, name="transfer-json"
    ),
    path(
        "<int:pk>/credit-line/alerts/<int:aid>/dismiss/",
        views.alert_dismiss,
        name="alert-dismiss",
    ),
]
