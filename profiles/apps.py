from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "Profiles, teams and grants"

    def ready(self):
        from profiles import password_validation  # noqa: F401 (registers its system check)
        from profiles.revision import connect_signals

        connect_signals()
