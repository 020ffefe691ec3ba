from django.apps import AppConfig


class RaportalConfig(AppConfig):
    name = "raportal"
    verbose_name = "RA Portal core"

    def ready(self) -> None:
        # Before any URLconf is imported: every app's routes use them.
        from django.urls import register_converter

        from raportal.api.path_converters import CONVERTERS

        for name, converter in CONVERTERS.items():
            register_converter(converter, name)
