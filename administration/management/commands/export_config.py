"""manage.py export_config [FILE]: the configuration as JSON (administration/config_io.py)."""

import json
import os
import sys

from django.core.management.base import BaseCommand

from administration.config_io import export_config


class Command(BaseCommand):
    help = (
        "Write the configuration (labels, teams, accounts, principal infos, CAs, connectors, "
        "profiles, grants) as JSON in Horizon's admin API shapes; to stdout without FILE."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="where to write (default: stdout)")

    def handle(self, *args, file=None, **options):
        text = json.dumps(export_config(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if file:
            # Readable by its owner only: it holds the CA keys (sealed under RAPORTAL_KEK).
            descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(text)
            self.stderr.write(f"Configuration written to {file}.")
        else:
            sys.stdout.write(text)
