"""Included by ``wallet.urls`` under ``/connections/`` (namespace ``wallet``)."""

from django.urls import path

from wallet.staking import views

urlpatterns = [
    path("<int:pk>/staking/", views.staking_index, name="staking"),
    path("<int:pk>/staking/live/", views.staking_live, name="staking-live"),
    path("<int:pk>/staking/sync/", views.staking_sync_now, name="staking-sync"),
    path("<int:pk>/staking/rewards.csv", views.rewards_csv, name="staking-rewards-csv"),
    path("<int:pk>/staking/stake/", views.staking_operate, {"kind": "stake"}, name="stake"),
    path("<int:pk>/staking/unstake/", views.staking_operate, {"kind": "unstake"}, name="unstake"),
    path("<int:pk>/staking/operations/<int:oid>.json", views.operation_json, name="staking-op"),
    path("<int:pk>/staking/auto/new/", views.autostake_add, name="autostake-add"),
    path("<int:pk>/staking/auto/<int:sid>/pause/", views.autostake_pause, name="autostake-pause"),
    path(
        "<int:pk>/staking/auto/<int:sid>/delete/", views.autostake_delete, name="autostake-delete"
    ),
]
