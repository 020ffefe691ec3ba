"""Who may administer whom: the one rule the admin pages and the admin API share."""


def may_manage(actor, account) -> bool:
    """Staff manage accounts; only a superuser manages a superuser's (its password, keys,
    state, teams and grants would otherwise hand a staff account the superuser's powers)."""
    if not (getattr(actor, "is_authenticated", False) and actor.is_staff):
        return False
    return actor.is_superuser or not account.is_superuser


SUPERUSER_ONLY = "only a superuser may change a superuser's account"
