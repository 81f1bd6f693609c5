from __future__ import annotations

from django.conf import settings
from django.db import models

from desk.fields import MoneyField


class KeyType(models.TextChoices):
    EXCHANGE = "exchange", "Exchange"
    CUSTODIAL = "custodial", "Custodial Solution"
    CREDIT_LINE = "credit_line", "Credit Line"


class Environment(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox (embedded exchange)"
    LIVE = "live", "Binance.US (api.binance.us)"


class ExchangeConnection(models.Model):
    """One Binance.US API key pair belonging to one user.

    The key and secret are stored only as Fernet tokens (see ``accounts.crypto``); nothing in the
    app renders them. ``key_fingerprint`` is what people see; ``api_key_lookup`` (a keyed HMAC of
    the key, never shown) is how a key already stored in another connection is recognised.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connections"
    )
    label = models.CharField(max_length=100)
    key_type = models.CharField(max_length=20, choices=KeyType.choices, default=KeyType.EXCHANGE)
    environment = models.CharField(
        max_length=20, choices=Environment.choices, default=Environment.SANDBOX
    )
    api_key_encrypted = models.TextField(editable=False)
    api_secret_encrypted = models.TextField(editable=False)
    key_fingerprint = models.CharField(max_length=16, editable=False)
    api_key_lookup = models.CharField(max_length=64, blank=True, editable=False)

    is_active = models.BooleanField(default=True)
    needs_new_keys = models.BooleanField(default=False)
    can_trade = models.BooleanField(null=True)
    can_withdraw = models.BooleanField(null=True)
    can_deposit = models.BooleanField(null=True)
    account_type = models.CharField(max_length=40, blank=True)
    account_status = models.CharField(max_length=40, blank=True)
    permissions = models.JSONField(default=list, blank=True)
    trading_locked = models.BooleanField(null=True)
    trading_indicators = models.JSONField(default=dict, blank=True)
    custodian_rail = models.CharField(max_length=40, blank=True)
    # The exchange names accounts by email in sub-account transfers; the master's own email is
    # not in any API answer, so the user tells us (the demo seeding knows it).
    account_email = models.EmailField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    balances_synced_at = models.DateTimeField(null=True, blank=True)
    last_sync_error = models.CharField(max_length=300, blank=True)
    subaccounts_synced_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "label"], name="unique_label_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_key_type_display()}, {self.key_fingerprint})"

    @property
    def rest_url(self) -> str:
        if self.environment == Environment.LIVE:
            return settings.LIVE_REST_URL
        return settings.SANDBOX_REST_URL

    @property
    def ws_url(self) -> str:
        if self.environment == Environment.LIVE:
            return settings.LIVE_WS_URL
        return settings.SANDBOX_WS_URL

    @property
    def ws_api_url(self) -> str:
        if self.environment == Environment.LIVE:
            return settings.LIVE_WS_API_URL
        return settings.SANDBOX_WS_API_URL


class Balance(models.Model):
    """An asset balance of a connection, as last synced from the exchange."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="balances"
    )
    asset = models.CharField(max_length=20)
    free = MoneyField()
    locked = MoneyField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["asset"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "asset"], name="unique_asset_balance"),
        ]

    def __str__(self) -> str:
        return f"{self.asset} {self.free}+{self.locked}"

    @property
    def total(self):
        return self.free + self.locked


class SubAccount(models.Model):
    """A sub-account of a master connection, as last listed by the exchange."""

    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.CASCADE, related_name="subaccounts"
    )
    email = models.EmailField()
    status = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(null=True)
    created_on_exchange = models.DateTimeField(null=True, blank=True)
    assets = models.JSONField(default=list, blank=True)  # [{"asset", "free", "locked"}] as text
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "email"], name="unique_subaccount_email"),
        ]

    def __str__(self) -> str:
        return self.email


class AuditOutcome(models.TextChoices):
    OK = "ok", "OK"
    ERROR = "error", "Error"
    UNKNOWN = "unknown", "Unknown"


class AuditRecord(models.Model):
    """One action a user took that changed something on the exchange or in their keys.

    ``params`` never holds credentials: ``accounts.services.audit`` scrubs them before saving.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="audit_records"
    )
    connection = models.ForeignKey(
        ExchangeConnection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    connection_label = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=60)
    params = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=10, choices=AuditOutcome.choices)
    error_code = models.IntegerField(null=True, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    exchange_ids = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="audit_user_time")]

    def __str__(self) -> str:
        return f"{self.action} {self.outcome}"
