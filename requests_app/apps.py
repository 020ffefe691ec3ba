from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Requests"

    def ready(self):
        # A certificate's page shows what can be asked about it and its requests
        # (certificates/extensions.py says why a hook).
        from requests_app.pages import certificate_panel

        certificate_panel.register_panel()
        # The home dashboard's cached charts count again after a write (dashboard_cache.py).
        from requests_app.pages import dashboard_cache

        dashboard_cache.watch_writes()
