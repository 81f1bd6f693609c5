"""Following a kickback export (the worker side of ``services.export_start``).

    follow ──GET historicalRecord──▶ no URL yet ──▶ again after CHECK_DELAYS[n] (n < MAX_CHECKS)
       │                                             └─ out of checks ─▶ failed
       ├─ a URL ──▶ the desk downloads it (MAX_BYTES at most) ──▶ ready (the file stored)
       │                              └─ too large / not allowed ──▶ failed
       └─ the exchange refused (4XX) or the keys cannot be read ──▶ failed

Every write is a conditional UPDATE of a row still ``collecting``: a check that finishes after
the export was replaced (or settled by another follower) changes nothing. A lost follow-up (a
worker restart) is picked up by ``exports_sweep`` from the beat. The URL is used once, here, and
never stored or logged: a presigned link carries its own credential.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

import binanceus
from accounts import crypto, realtime
from accounts.exchange import client_for_connection, describe_error
from accounts.models import Environment
from desk.intents import queue
from rewards import selectors
from rewards.models import BrokerExport, ExportStatus

log = logging.getLogger(__name__)

CHECK_DELAYS = (2, 3, 5, 5, 10, 10, 15, 15, 30)  # seconds; the last repeats
MAX_CHECKS = 40  # about 18 minutes of checks
STRAGGLER = timedelta(minutes=2)  # a check this late was lost: the sweep takes it up
GIVE_UP = timedelta(hours=1)
DOWNLOAD_TIMEOUT = (5, 30)
CHUNK = 64 * 1024


class DownloadRefused(Exception):
    """The file cannot be fetched for good (its size, its address); ``str()`` says why."""


def max_bytes() -> int:
    return getattr(settings, "REWARDS_EXPORT_MAX_BYTES", 5 * 1024 * 1024)


def check_delay(checks: int) -> int:
    return CHECK_DELAYS[min(checks, len(CHECK_DELAYS) - 1)]


def export_follow(*, export_id: int) -> None:
    """Check the export once; settle it, or plan the next check."""
    if not cache.add(f"desk:rewards:export:{export_id}", 1, timeout=120):
        return  # another follower (a task and the sweep) is checking it now
    try:
        _follow(export_id)
    finally:
        cache.delete(f"desk:rewards:export:{export_id}")


def _follow(export_id: int) -> None:
    export = (
        BrokerExport.objects.select_related("connection")
        .defer("content")
        .filter(pk=export_id, status=ExportStatus.COLLECTING)
        .first()
    )
    if export is None:
        return
    try:
        with client_for_connection(export.connection) as client:
            job = client.broker_kickback_export()
    except crypto.CredentialsUnavailable:
        return _fail(export, "The connection's keys cannot be read; add them again.")
    except binanceus.APIError as exc:
        return _fail(export, describe_error(exc))
    except binanceus.BinanceUSError as exc:  # not reached, or 5XX: the next check may do
        return _again(export, describe_error(exc))
    if not job.ready:
        return _again(export, "")
    _fetch(export, job.url)


def _fetch(export: BrokerExport, url: str) -> None:
    try:
        content = download(url, environment=export.connection.environment)
    except DownloadRefused as exc:
        return _fail(export, str(exc))
    except requests.RequestException as exc:
        log.info("export %s: download failed (%s)", export.pk, type(exc).__name__)
        return _again(export, "The export's file could not be fetched yet.")
    _finish(export, content)


def download(url: str, *, environment: str) -> bytes:
    """The file at ``url``, at most ``max_bytes()``. Only https, except from the sandbox
    (served over plain http on loopback); redirects are not followed (a presigned link needs
    none, and one could lead anywhere)."""
    scheme = urlsplit(url).scheme
    if scheme != "https" and not (scheme == "http" and environment == Environment.SANDBOX):
        raise DownloadRefused("The exchange gave an address the desk does not download from.")
    limit = max_bytes()
    with requests.get(url, stream=True, timeout=DOWNLOAD_TIMEOUT, allow_redirects=False) as resp:
        if resp.status_code != 200:
            raise requests.HTTPError(f"status {resp.status_code}")
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise DownloadRefused(_too_large(limit))
        body = bytearray()
        for chunk in resp.iter_content(CHUNK):
            body.extend(chunk)
            if len(body) > limit:
                raise DownloadRefused(_too_large(limit))
    return bytes(body)


def _too_large(limit: int) -> str:
    return f"The export is larger than the desk keeps ({limit // (1024 * 1024)} MB)."


def _rows_in(content: bytes) -> int:
    lines = [line for line in content.splitlines() if line.strip()]
    return max(0, len(lines) - 1)  # the header


def _settle(export: BrokerExport, **fields) -> bool:
    with transaction.atomic():
        done = BrokerExport.objects.filter(pk=export.pk, status=ExportStatus.COLLECTING).update(
            **fields
        )
        if done:
            payload = {"export": export.pk, "status": fields.get("status", export.status)}
            connection_id = export.connection_id
            transaction.on_commit(
                lambda: realtime.rewards_push(connection_id=connection_id, payload=payload)
            )
    return bool(done)


def _finish(export: BrokerExport, content: bytes) -> None:
    now = timezone.now()
    _settle(
        export,
        status=ExportStatus.READY,
        content=content,
        size=len(content),
        row_count=_rows_in(content),
        checked_at=now,
        checks=export.checks + 1,
        finished_at=now,
        error="",
    )


def _fail(export: BrokerExport, message: str) -> None:
    now = timezone.now()
    _settle(
        export,
        status=ExportStatus.FAILED,
        error=message[:300],
        checked_at=now,
        checks=export.checks + 1,
        finished_at=now,
    )


def _again(export: BrokerExport, note: str) -> None:
    checks = export.checks + 1
    if checks >= MAX_CHECKS:
        return _fail(export, f"The exchange had not prepared the export after {checks} checks.")
    if _settle(export, checks=checks, checked_at=timezone.now(), error=note[:300]):
        transaction.on_commit(lambda: _follow_later(export.pk, check_delay(checks)))


def _follow_later(export_id: int, seconds: int) -> None:
    from rewards.tasks import follow_broker_export

    queue(follow_broker_export, export_id, countdown=seconds)


def exports_sweep() -> int:
    """Queue a check of each export whose next check is overdue; fail those asked for too
    long ago. Returns how many were queued."""
    now = timezone.now()
    stale = BrokerExport.objects.filter(
        status=ExportStatus.COLLECTING, requested_at__lt=now - GIVE_UP
    )
    for export in stale.defer("content"):
        _fail(export, "The exchange had not prepared the export within an hour.")
    overdue = selectors.exports_to_follow(checked_before=now - STRAGGLER)
    claimed = [export_id for export_id in overdue if _claim_overdue(export_id, now)]
    for export_id in claimed:
        _follow_later(export_id, 0)
    return len(claimed)


def _claim_overdue(export_id: int, now) -> bool:
    """Mark the export looked at now if it is still overdue. Of two sweeps (two beats) only the
    first queues its check: two checks run one after the other would each plan a next one, and
    two chains would count every check twice."""
    rows = BrokerExport.objects.filter(pk=export_id, status=ExportStatus.COLLECTING)
    return bool(rows.exclude(checked_at__gte=now - STRAGGLER).update(checked_at=now))
