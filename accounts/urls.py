from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.connection_list, name="list"),
    path("add/", views.connection_create, name="create"),
    path("<int:pk>/", views.connection_detail, name="detail"),
    path("<int:pk>/rename/", views.connection_rename, name="rename"),
    path("<int:pk>/delete/", views.connection_delete, name="delete"),
]
