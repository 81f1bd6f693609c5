from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0003_money_exact"),
    ]

    operations = [
        migrations.AddField(
            model_name="transferschedule",
            name="paused_reason",
            field=models.CharField(blank=True, max_length=300),
        ),
    ]
