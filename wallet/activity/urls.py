"""Included by ``wallet.urls`` under /connections/ (namespace "wallet"): ``pk`` is always the
user's connection."""

from django.urls import path

from wallet.activity import views

urlpatterns = [
    path("<int:pk>/wallet/", views.wallet_index, name="index"),
    path("<int:pk>/wallet/activity/tables/", views.activity_tables, name="activity-tables"),
    path("<int:pk>/wallet/activity/sync/", views.activity_sync, name="activity-sync"),
    path("<int:pk>/wallet/activity.csv", views.activity_csv, name="activity-csv"),
]
