"""Included by ``wallet.urls`` under ``/connections/`` (namespace ``wallet``): ``pk`` is always
the user's connection; ``aid`` (an address-book entry) and ``wid`` (a withdrawal) are looked up
within it."""

from django.urls import path

from wallet.withdrawals import views

urlpatterns = [
    path("<int:pk>/wallet/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/wallet/withdraw/confirm/", views.withdraw_confirm, name="withdraw-confirm"),
    path("<int:pk>/wallet/withdrawals/", views.withdrawal_list, name="withdrawals"),
    path("<int:pk>/wallet/withdrawals/<int:wid>/", views.withdrawal_detail, name="withdrawal"),
    path(
        "<int:pk>/wallet/withdrawals/<int:wid>.json",
        views.withdrawal_json,
        name="withdrawal-json",
    ),
    path("<int:pk>/wallet/addresses/", views.address_list, name="addresses"),
    path("<int:pk>/wallet/addresses/new/", views.address_add, name="address-add"),
    path(
        "<int:pk>/wallet/addresses/<int:aid>/delete/",
        views.address_delete,
        name="address-delete",
    ),
]
