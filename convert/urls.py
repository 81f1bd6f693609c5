"""Included by ``desk.urls`` under ``/connections/`` (namespace ``convert``)."""

from django.urls import path

from convert import views

app_name = "convert"

urlpatterns = [
    path("<int:pk>/convert/", views.index, name="index"),
    path("<int:pk>/convert/quote/", views.quote, name="quote"),
    path("<int:pk>/convert/accept/", views.accept, name="accept"),
    path("<int:pk>/convert/live/", views.live, name="live"),
    path("<int:pk>/convert/export.csv", views.export, name="export"),
    path("<int:pk>/convert/<int:cid>.json", views.conversion_json, name="conversion-json"),
    path("<int:pk>/dust/", views.dust, name="dust"),
    path("<int:pk>/dust/convert/", views.dust_convert, name="dust-convert"),
    path("<int:pk>/dust/live/", views.dust_live, name="dust-live"),
    path("<int:pk>/dust/assets/", views.dust_assets, name="dust-assets"),
    path("<int:pk>/dust/export.csv", views.dust_export, name="dust-export"),
    path("<int:pk>/dust/<int:did>.json", views.dust_json, name="dust-json"),
]
