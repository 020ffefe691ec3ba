"""A trigram index on the certificates' DN, so that "contains" searches (the pages' search
box, HRQL ``dn contains``) do not read every certificate: PostgreSQL only (pg_trgm, a
trusted extension since PostgreSQL 13). Where the extension cannot be created, searching
still works, by reading the table."""

import logging

from django.db import migrations, transaction

log = logging.getLogger(__name__)

INDEX = "cert_dn_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # no right to create it: the index is an optimisation
        log.warning("pg_trgm unavailable (%s): DN searches will scan the table", exc)
        return
    # Django's icontains on PostgreSQL is UPPER("dn"::text) LIKE UPPER(%s).
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON certificates_certificate "
        "USING gin (UPPER(dn::text) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("certificates", "0002_initial")]

    operations = [migrations.RunPython(create, drop)]
