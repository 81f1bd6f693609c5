"""Included by ``desk.urls`` under ``/connections/`` (namespace ``rewards``)."""

from django.urls import path

from rewards import views

app_name = "rewards"

urlpatterns = [
    path("<int:pk>/rewards/", views.index, name="index"),
    path("<int:pk>/rewards/live/", views.live, name="live"),
    path("<int:pk>/rewards/sync/", views.sync_now, name="sync"),
    path("<int:pk>/rewards/partner/", views.partner, name="partner"),
    path("<int:pk>/rewards/referrals.csv", views.referrals_csv, name="referrals-csv"),
    path("<int:pk>/rewards/rebates.csv", views.rebates_csv, name="rebates-csv"),
    path("<int:pk>/broker/", views.broker, name="broker"),
    path("<int:pk>/broker/live/", views.broker_live, name="broker-live"),
    path("<int:pk>/broker/agent-code/", views.agent_code, name="agent-code"),
    path("<int:pk>/broker/customize/", views.customize, name="customize"),
    path("<int:pk>/broker/user-customize/", views.user_customize, name="user-customize"),
    path("<int:pk>/broker/exports/", views.export_start, name="export-start"),
    path(
        "<int:pk>/broker/exports/<int:eid>/download/",
        views.export_download,
        name="export-download",
    ),
]
