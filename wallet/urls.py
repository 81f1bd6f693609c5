"""The Wallet tab under ``/connections/<pk>/wallet/``: what arrived and left (activity) and
sending money out (withdrawals); and the Staking tab under ``/connections/<pk>/staking/``."""

from django.urls import include, path

app_name = "wallet"

urlpatterns = [
    path("", include("wallet.activity.urls")),
    path("", include("wallet.withdrawals.urls")),
    path("", include("wallet.staking.urls")),
]
