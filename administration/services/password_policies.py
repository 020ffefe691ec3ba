"""Password policies (of PKCS#12 passwords and local accounts): create or update by name."""

from django.core.exceptions import ValidationError
from django.db import transaction

from administration.services.checks import require_administrator, written
from profiles.models import PasswordPolicy
from raportal.callers import Principal
from raportal.errors import invalid_request


def save_password_policy(
    actor: Principal,
    *,
    name: str,
    min_length: int,
    max_length: int,
    min_upper: int,
    min_lower: int,
    min_digits: int,
    min_special: int,
    special_chars: str,
) -> tuple[PasswordPolicy, str]:
    """The policy named ``name`` with these rules; returns it and "created", "updated" or
    "unchanged" (an unchanged policy is not written)."""
    require_administrator(actor)
    fields = {
        "min_length": min_length,
        "max_length": max_length,
        "min_upper": min_upper,
        "min_lower": min_lower,
        "min_digits": min_digits,
        "min_special": min_special,
        "special_chars": special_chars,
    }
    with transaction.atomic():
        policy = PasswordPolicy.objects.select_for_update().filter(name=name).first()
        outcome = "created" if policy is None else "updated"
        policy = policy or PasswordPolicy(name=name)
        if outcome == "updated" and all(getattr(policy, f) == v for f, v in fields.items()):
            return policy, "unchanged"
        for field, value in fields.items():
            setattr(policy, field, value)
        try:
            policy.full_clean()
        except ValidationError as exc:
            raise invalid_request("; ".join(exc.messages)) from None
        policy.save()
        written(actor, f"passwordpolicy.{outcome[:-1]}", policy, name=name)
    return policy, outcome
