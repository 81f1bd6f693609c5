"""Celery application. Tasks live in each app's ``tasks.py`` and only take ids."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")

app = Celery("desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Packages inside apps are not found by the default discovery (it looks at <app>.tasks).
app.autodiscover_tasks(
    ["trading.history", "wallet.activity", "wallet.staking", "wallet.withdrawals"]
)
