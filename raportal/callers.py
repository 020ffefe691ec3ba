"""Who calls a service: the types every service, policy and page takes for "the user".

A caller is one of three things: an account (Django's ``User``, a person or an API client),
Django's ``AnonymousUser`` (a page before sign-in), or a principal authenticated by proof of
possession alone (certificates/pop.py), which has no account. ``Principal`` is what all three
answer to; ``has_account`` tells an account from the other two and narrows the type, so that
code reading ``user.rap_teams`` or writing ``requester=user`` is checked to have asked first.
"""

from typing import Protocol, TypeGuard

from django.contrib.auth.models import User


class Principal(Protocol):
    """What every caller answers to, account or not."""

    @property
    def pk(self) -> object: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def is_staff(self) -> bool: ...

    @property
    def is_superuser(self) -> bool: ...

    def get_username(self) -> str: ...


def has_account(user: object) -> TypeGuard[User]:
    """Whether the caller is an account (a saved user), as opposed to an anonymous caller or
    one authenticated by proof of possession (certificates/pop.py), who holds no grant and
    filed nothing: a filter on ``requester=<no one>`` must never match what nobody filed."""
    return isinstance(user, User) and user.pk is not None


def is_administrator(user: object) -> bool:
    """Horizon's administrator role, a staff account here: it holds every permission."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
    )
