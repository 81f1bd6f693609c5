from django.urls import path

from accounts.views import connections as views

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
]
