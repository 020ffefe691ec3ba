#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raportal.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings, which check the environment
    except ImproperlyConfigured as exc:
        sys.exit(
            f"RA Portal is not configured: {exc}\n"
            "For development, run with DJANGO_DEBUG=1 (as `make run` does); for production, "
            "see the Configuration section of README.md."
        )

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
