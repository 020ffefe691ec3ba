from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "discovery"
    verbose_name = "Discovery"

    def ready(self):
        # Discovered certificates: visible to who may search their campaign, and their JSON
        # and page say where they were found (certificates/extensions.py says why a hook).
        from discovery import certificate_extension

        certificate_extension.register()
