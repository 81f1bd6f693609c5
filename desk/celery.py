"""Celery application. Tasks live in each app's ``tasks.py`` and only take ids."""

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")

app = Celery("desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Packages inside apps are not found by the default discovery (it looks at <app>.tasks).
app.autodiscover_tasks(
    ["trading.history", "wallet.activity", "wallet.staking", "wallet.withdrawals"]
)

# Beat entries that also run once when beat starts. The beat runs an interval task first one
# interval after it first sees it, so a fresh `make run` would show no staking or custody (the
# dashboard reads stored rows only) for five minutes; balances and sub-accounts come within 30 s.
RUN_AT_BEAT_START = ("sync-staking", "sync-custody")


@beat_init.connect
def run_at_beat_start(sender: object = None, **kwargs: object) -> None:
    for name in RUN_AT_BEAT_START:
        app.send_task(app.conf.beat_schedule[name]["task"])
