"""Included by ``desk.urls`` under ``/connections/`` (namespace ``custody``)."""

from django.urls import path

from custody import views

app_name = "custody"

urlpatterns = [
    path("<int:pk>/custody/", views.index, name="index"),
]
