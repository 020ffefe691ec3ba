"""What a submission costs the database: a fixed number of statements and one transaction,
whatever the number of SANs or labels (NOTES.md: the database is the per-request cost)."""

from tests.conftest import enroll_body
from tests.factories import make_csr

# The API key with the configuration revision (the profile and the grants then come from
# memory: profiles/cache.py, profiles/grants_cache.py) 1, certificate + request inserts 2, the
# two audit events in one append to the sealed chain (raportal/models.py audit_batch: lock
# the head, move it, insert both) 3, holder counts 1; no trigger-runs query (the profile lists
# no trigger). The test wraps the transaction in a savepoint (2 more statements); the CA
# key's and the caches are warm.
SUBMIT_BUDGET = 9


def test_a_completed_enroll_stays_within_its_query_budget(
    profile, approver_api, django_assert_max_num_queries
):
    csr, _ = make_csr()
    approver_api.submit(enroll_body(csr=csr))  # warm caches (CA key)
    body = enroll_body(
        csr=make_csr()[0],
        sans=[{"type": "DNSNAME", "value": [f"h{i}.example.com" for i in range(5)]}],
        labels=[{"label": "env", "value": "dev"}],
    )
    with django_assert_max_num_queries(SUBMIT_BUDGET):
        status, answer = approver_api.submit(body)
    assert status == 201, answer


def test_reading_a_request_with_its_certificate_is_a_few_queries(
    profile, approver_api, django_assert_max_num_queries
):
    csr, _ = make_csr()
    _, submitted = approver_api.submit(enroll_body(csr=csr))
    with django_assert_max_num_queries(4):  # auth, request with joins, holder counts
        status, body = approver_api.get(f"/api/v1/requests/{submitted['_id']}")
    assert status == 200, body
