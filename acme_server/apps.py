from django.apps import AppConfig


class AcmeConfig(AppConfig):
    name = "acme_server"
    verbose_name = "ACME (RFC 8555)"
