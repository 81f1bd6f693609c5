"""Included by ``desk.urls`` under ``/connections/`` (namespace ``creditline``)."""

from django.urls import path

from creditline import views

app_name = "creditline"

urlpatterns = [
    path("<int:pk>/creditline/", views.index, name="index"),
]
