"""Telling people when money did not move, or will not move until they act."""

from django.conf import settings
from django.core.mail import send_mail

from transfers.models import TransferRun, TransferSchedule


def _mail_owner(email: str, *, subject: str, message: str) -> None:
    if not email:
        return
    send_mail(
        subject=subject,
        message=message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )


def run_failed_notify(*, run_id: int) -> None:
    run = TransferRun.objects.select_related("connection__user", "schedule").get(pk=run_id)
    what = f"{run.amount or run.amount_param or ''} {run.asset}".strip()
    source = f"schedule “{run.schedule.name}”" if run.schedule else "a transfer"
    _mail_owner(
        run.connection.user.email,
        subject=f"Transfer failed: {what}",
        message=(
            f"The transfer of {what} from {run.from_email or 'the master account'} to "
            f"{run.to_email or 'the master account'} ({source}, connection "
            f"“{run.connection.label}”) failed.\n\nReason: {run.error_message}\n"
        ),
    )


def schedule_paused_notify(*, schedule_id: int) -> None:
    # Plain values, not the model: the schedule may be paused because its row cannot be read.
    schedule = TransferSchedule.objects.values(
        "name", "paused_reason", "connection__label", "connection__user__email"
    ).get(pk=schedule_id)
    _mail_owner(
        schedule["connection__user__email"],
        subject=f"Transfer schedule paused: {schedule['name']}",
        message=(
            f"The transfer schedule “{schedule['name']}” (connection "
            f"“{schedule['connection__label']}”) was paused and will not run until you resume "
            f"it.\n\nReason: {schedule['paused_reason']}\n"
        ),
    )
