from django.apps import AppConfig


class ScepConfig(AppConfig):
    name = "scep"
    verbose_name = "SCEP (RFC 8894)"
