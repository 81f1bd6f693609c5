from django.db import migrations, models


def backfill(apps, schema_editor):
    """Each stored key's lookup under the current encryption key; a row whose key cannot be
    decrypted keeps none (it needs new keys anyway, and replacing them stores one)."""
    from accounts import crypto

    ExchangeConnection = apps.get_model("accounts", "ExchangeConnection")
    for conn in ExchangeConnection.objects.filter(api_key_lookup="").only(
        "pk", "api_key_encrypted"
    ):
        try:
            lookup = crypto.key_lookup(crypto.decrypt(conn.api_key_encrypted))
        except crypto.CredentialsUnavailable:
            continue
        ExchangeConnection.objects.filter(pk=conn.pk).update(api_key_lookup=lookup)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_balance_money_exact"),
    ]

    operations = [
        migrations.AddField(
            model_name="exchangeconnection",
            name="api_key_lookup",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
