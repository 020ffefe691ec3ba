from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Requests"

    def ready(self):
        # A certificate's page shows what can be asked about it and its requests
        # (certificates/extensions.py says why a hook).
        from requests_app.pages import certificate_panel

        certificate_panel.register_panel()
