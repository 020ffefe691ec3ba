"""Accounts and their local identities (a password kept here): create, change, delete the
identity, set a password, activate or deactivate. Passwords never reach an audit event or a
log line."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Field, Q, QuerySet
from django.views.decorators.debug import sensitive_variables

from administration.services.checks import (
    already_exists,
    lock,
    require_administrator,
    require_may_manage,
    written,
)
from administration.services.validation import checked_email, checked_text
from raportal import audit_changes
from raportal.callers import Principal
from raportal.errors import conflict, invalid_request

NAME_PART_MAX = 150
ACCOUNT_FIELDS = ("email", "first_name", "last_name")
# The password of a local identity made without one: Django's unusable prefix, which no
# password ever matches, told apart from an account that has no local identity at all.
AWAITING_PASSWORD = UNUSABLE_PASSWORD_PREFIX + "local-identity-awaiting-its-password"


def local_accounts() -> QuerySet[User]:
    """The local identities: accounts with a usable password, or awaiting their first."""
    user_model = get_user_model()
    return user_model._default_manager.filter(
        ~(Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(password=""))
        | Q(password=AWAITING_PASSWORD)
    )


def is_local(user: User) -> bool:
    return user.password == AWAITING_PASSWORD or (
        bool(user.password) and user.has_usable_password()
    )


def checked_identifier(identifier: str) -> str:
    """A username Django accepts, or 400 saying why."""
    user_model = get_user_model()
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    if not isinstance(field, Field):
        raise ImproperlyConfigured(f"{user_model.USERNAME_FIELD} is not a field of the user model")
    try:
        field.run_validators(identifier)
    except ValidationError as exc:
        raise invalid_request(f"identifier: {' '.join(exc.messages)}") from None
    if not identifier:
        raise invalid_request("identifier: must not be empty")
    return identifier


def set_email(user: User, email: str) -> None:
    user.email = checked_email(email, "email")


def set_name(user: User, name: str) -> None:
    first, _, last = checked_text(name, "name").strip().partition(" ")
    last = last.strip()
    if len(first) > NAME_PART_MAX or len(last) > NAME_PART_MAX:
        raise invalid_request(
            f"name: at most {NAME_PART_MAX} characters in the first name and in the last"
        )
    user.first_name, user.last_name = first, last


@sensitive_variables("password")
def validated_password(password: str, user: User, field: str = "password") -> str:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise invalid_request(f"{field}: {' '.join(exc.messages)}") from None
    return password


def _by_username(identifier: str) -> User | None:
    user_model = get_user_model()
    return (
        user_model._default_manager.select_for_update()
        .filter(**{user_model.USERNAME_FIELD: identifier})
        .first()
    )


def create_account(actor: Principal, *, identifier: str, email: str = "", name: str = "") -> User:
    """A new account without any password (no local identity: it signs in otherwise, or an
    administrator gives it one)."""
    require_administrator(actor)
    user = get_user_model()(**{get_user_model().USERNAME_FIELD: checked_identifier(identifier)})
    user.set_unusable_password()
    set_email(user, email)
    set_name(user, name)
    try:
        with transaction.atomic():
            user.save()
            written(actor, "account.create", user, identifier=identifier)
    except IntegrityError:
        raise already_exists("account", identifier) from None
    return user


@sensitive_variables("password")
def create_local_account(
    actor: Principal,
    *,
    identifier: str,
    email: str | None = None,
    name: str | None = None,
    password: str | None = None,
) -> User:
    """The local identity ``identifier``: a new account, or an existing one without a
    password that gets its local identity. Without a password it cannot sign in until an
    administrator sets one."""
    require_administrator(actor)
    identifier = checked_identifier(identifier)
    with transaction.atomic():
        user = _by_username(identifier)
        if user is not None and is_local(user):
            raise already_exists("local identity", identifier)
        if user is not None:
            require_may_manage(actor, user)
        created = user is None
        if user is None:
            user = get_user_model()(**{get_user_model().USERNAME_FIELD: identifier})
        if email is not None:
            set_email(user, email)
        if name is not None:
            set_name(user, name)
        if password:
            validated_password(password, user)
            user.set_password(password)
        else:
            user.password = AWAITING_PASSWORD
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise already_exists("local identity", identifier) from None
        written(actor, "localidentity.create", user, identifier=identifier, new=created)
    return user


def update_account(
    actor: Principal, user: User, *, email: str | None = None, name: str | None = None
) -> bool:
    """The account's e-mail and name (None: unchanged); True when either changed."""
    require_may_manage(actor, user)
    with transaction.atomic():
        lock(user)
        before = audit_changes.snapshot(user, ACCOUNT_FIELDS)
        if email is not None:
            set_email(user, email)
        if name is not None:
            set_name(user, name)
        after = audit_changes.snapshot(user, ACCOUNT_FIELDS)
        changed = after != before
        user.save(update_fields=["email", "first_name", "last_name"])
        given = sorted(
            field for field, value in (("email", email), ("name", name)) if value is not None
        )
        written(
            actor,
            "localidentity.update",
            user,
            changed=given,
            **audit_changes.detail(before, after),
        )
    return changed


def delete_local_identity(actor: Principal, user: User) -> None:
    """The account can no longer sign in with a password; it keeps its teams, grants, API
    keys and history."""
    require_administrator(actor)
    with transaction.atomic():
        lock(user)
        if user.pk == actor.pk:
            raise conflict("you cannot delete your own local identity", reason="self")
        require_may_manage(actor, user)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        written(actor, "localidentity.delete", user, identifier=user.get_username())


@sensitive_variables("password")
def set_password(
    actor: Principal, user: User, *, password: str, action: str = "user.password"
) -> None:
    """Sets a password the caller already validated (a password form, or
    ``validated_password``); ``action`` names the audit event of the edge that asked
    (``user.password`` on pages, ``localidentity.password.set``/``.change`` on the API)."""
    if user.pk != actor.pk:  # one's own: the edge checked the previous password
        require_may_manage(actor, user)
    with transaction.atomic():
        lock(user)
        user.set_password(password)
        user.save(update_fields=["password"])
        detail_key = "username" if action == "user.password" else "identifier"
        written(actor, action, user, **{detail_key: user.get_username()})


def set_active(actor: Principal, account: User, *, active: bool) -> None:
    require_may_manage(actor, account)
    if not active and account.pk == actor.pk:
        raise conflict("You cannot deactivate your own account.", reason="self")
    with transaction.atomic():
        lock(account)
        account.is_active = active
        account.save(update_fields=["is_active"])
        written(
            actor,
            "user.activate" if active else "user.deactivate",
            account,
            username=account.get_username(),
        )
