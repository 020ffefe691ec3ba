"""Every administration write, one function each: the pages, the admin API and
``import_config`` call these and nothing else writes configuration.

Each function checks that the actor may administer (checks.py), validates what the edges
cannot (names, uniqueness, what still refers to an object), writes in one transaction with
its audit event, and bumps the configuration revision (profiles/revision.py) so cached
profiles are read again. Problems are ``raportal.errors.DomainError``s carrying the
contract's generic codes (REQ-002 invalid, REQ-001 not found, 409 conflicts with a reason);
the admin API turns them into its per-object codes (administration/api/base.py)."""
