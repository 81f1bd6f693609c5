from django.apps import AppConfig


class ConvertConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "convert"
