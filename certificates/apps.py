from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "Certificates and CAs"

    def ready(self):
        # A certificate's page shows its trigger runs (certificates/extensions.py: a page
        # part, like the apps above add theirs).
        from certificates.pages import trigger_panel

        trigger_panel.register_panel()
