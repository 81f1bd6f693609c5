from django.contrib import admin

from accounts.models import Balance, ExchangeConnection


@admin.register(ExchangeConnection)
class ExchangeConnectionAdmin(admin.ModelAdmin):
    # Encrypted columns are excluded outright: the admin never renders credentials, not even
    # as ciphertext.
    list_display = ("label", "user", "key_type", "environment", "key_fingerprint", "is_active")
    list_filter = ("key_type", "environment", "is_active")
    list_select_related = ("user",)
    exclude = ("api_key_encrypted", "api_secret_encrypted")
    readonly_fields = ("key_fingerprint", "verified_at", "balances_synced_at")


@admin.register(Balance)
class BalanceAdmin(admin.ModelAdmin):
    list_display = ("connection", "asset", "free", "locked", "updated_at")
    list_select_related = ("connection",)
