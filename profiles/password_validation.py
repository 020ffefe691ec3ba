"""Passwords of local accounts follow a Horizon password policy, as in Horizon.

Horizon checks the password of a local identity against its password policy (length and
character classes: ``profiles.models.PasswordPolicy``), not against the account's name. The
policy is the one named by ``RAPORTAL_LOCAL_PASSWORD_POLICY`` (default ``Horizon-Default``);
Django's common-password and all-digits checks stay beside it in AUTH_PASSWORD_VALIDATORS.
"""

from django.conf import settings
from django.core.exceptions import ValidationError

from profiles.models import PasswordPolicy


def local_password_policy() -> PasswordPolicy:
    name = getattr(settings, "RAPORTAL_LOCAL_PASSWORD_POLICY", "") or PasswordPolicy.DEFAULT_NAME
    policy = PasswordPolicy.objects.filter(name=name).first()
    return policy or PasswordPolicy.default()


class PasswordPolicyValidator:
    """Django password validator: the local-account password policy's rules, in words."""

    def validate(self, password, user=None):
        policy = local_password_policy()
        problems = policy.violations(password)
        if problems:
            raise ValidationError(
                f"The password does not follow the password policy {policy.name}: it needs "
                + ", ".join(problems)
                + ".",
                code="password_policy",
            )

    def get_help_text(self):
        policy = local_password_policy()
        text = (
            f"{policy.min_length} to {policy.max_length} characters, with at least "
            f"{policy.min_upper} upper-case, {policy.min_lower} lower-case letters and "
            f"{policy.min_digits} digits"
        )
        if policy.min_special:
            text += f" and {policy.min_special} of {policy.special_chars}"
        return f"Your password needs {text} (password policy {policy.name})."
