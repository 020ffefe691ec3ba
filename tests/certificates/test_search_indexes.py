"""Searching a million certificates must not read them all: the indexes behind it exist."""

from django.db import connection


def test_postgresql_has_a_trigram_index_for_dn_contains_searches(db, postgres_only):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'cert_dn_trgm'",
        )
        row = cursor.fetchone()
    assert row is not None, "migration certificates.0003 should create cert_dn_trgm"
    assert "gin_trgm_ops" in row[0] and "upper" in row[0].lower(), row


def test_a_dn_search_uses_it_when_the_table_is_large(db, postgres_only):
    """The planner's choice on a large table, simulated: sequential scans disabled, the
    query Django writes for icontains must still be answerable from the index."""
    from certificates.models import Certificate

    query = Certificate.objects.filter(dn__icontains="host123.example").values("pk")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "cert_dn_trgm" in plan, plan
