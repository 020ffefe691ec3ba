from django.apps import AppConfig


class RaportalConfig(AppConfig):
    name = "raportal"
    verbose_name = "RA Portal core"
