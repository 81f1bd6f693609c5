from django.urls import path

from transfers import views

app_name = "transfers"

# ``pk`` is always the master connection; ``run_id`` / ``sid`` are looked up within it.
urlpatterns = [
    path("", views.transfer_index, name="index"),
    path("<int:pk>/", views.subaccount_list, name="subaccounts"),
    path("<int:pk>/account-email/", views.account_email_set, name="account-email"),
    path("<int:pk>/new/", views.transfer_new, name="new"),
    path("<int:pk>/runs/<int:run_id>/", views.run_detail, name="run"),
    path("<int:pk>/runs/<int:run_id>.json", views.run_json, name="run-json"),
    path("<int:pk>/runs/<int:run_id>/retry/", views.run_retry, name="run-retry"),
    path("<int:pk>/schedules/", views.schedule_list, name="schedules"),
    path("<int:pk>/schedules/new/", views.schedule_create, name="schedule-new"),
    path("<int:pk>/schedules/<int:sid>/", views.schedule_detail, name="schedule"),
    path("<int:pk>/schedules/<int:sid>/edit/", views.schedule_edit, name="schedule-edit"),
    path("<int:pk>/schedules/<int:sid>/pause/", views.schedule_pause, name="schedule-pause"),
    path("<int:pk>/schedules/<int:sid>/delete/", views.schedule_delete, name="schedule-delete"),
    path("<int:pk>/history/", views.history_list, name="history"),
    path("<int:pk>/history.csv", views.history_csv, name="history-csv"),
    path("<int:pk>/history/sync/", views.history_sync, name="history-sync"),
]
