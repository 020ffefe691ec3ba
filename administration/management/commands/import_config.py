"""manage.py import_config FILE: apply a configuration written by export_config."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from administration.config_io import ConfigError, import_config


class Command(BaseCommand):
    help = (
        "Apply a configuration file (export_config's JSON) idempotently, in one transaction: "
        "missing objects are created, existing ones updated, nothing else is deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the configuration file ('-' for stdin)")

    def handle(self, *args, file, **options):
        try:
            if file == "-":
                config = json.load(sys.stdin)
            else:
                with open(file, encoding="utf-8") as source:
                    config = json.load(source)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from None
        try:
            done = import_config(config)
        except ConfigError as exc:
            raise CommandError(f"nothing applied: {exc}") from None
        for line in done:
            self.stdout.write(f"applied {line}")
