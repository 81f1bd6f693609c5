from django.apps import AppConfig


class CreditLineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "creditline"
