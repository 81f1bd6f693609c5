"""Telling people when money did not move."""

from django.conf import settings
from django.core.mail import send_mail

from transfers.models import TransferRun


def run_failed_notify(*, run_id: int) -> None:
    run = TransferRun.objects.select_related("connection__user", "schedule").get(pk=run_id)
    user = run.connection.user
    if not user.email:
        return
    what = f"{run.amount or run.amount_param or ''} {run.asset}".strip()
    source = f"schedule “{run.schedule.name}”" if run.schedule else "a transfer"
    send_mail(
        subject=f"Transfer failed: {what}",
        message=(
            f"The transfer of {what} from {run.from_email or 'the master account'} to "
            f"{run.to_email or 'the master account'} ({source}, connection "
            f"“{run.connection.label}”) failed.\n\nReason: {run.error_message}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
