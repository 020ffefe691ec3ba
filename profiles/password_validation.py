"""Passwords of local accounts follow a Horizon password policy, as in Horizon.

Horizon checks the password of a local identity against its password policy (length and
character classes: ``profiles.models.PasswordPolicy``), not against the account's name. The
policy is the one named by ``RAPORTAL_LOCAL_PASSWORD_POLICY`` (default ``Horizon-Default``,
the policy PKCS#12 passwords follow unless a profile names another); a name that matches no
policy is reported by ``manage.py check`` (and at start-up). Whatever the policy says, a sign-in
password has at least ``LOCAL_PASSWORD_FLOOR`` characters — a policy relaxed for a legacy
device's PKCS#12 must not relax every account's password — and Django's common-password and
all-digits checks stay beside it in AUTH_PASSWORD_VALIDATORS.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError

from profiles.models import PasswordPolicy

LOCAL_PASSWORD_FLOOR = 12


def local_policy_name() -> str:
    return getattr(settings, "RAPORTAL_LOCAL_PASSWORD_POLICY", "") or PasswordPolicy.DEFAULT_NAME


def local_password_policy() -> PasswordPolicy:
    """The named policy; Horizon-Default's rules (unsaved: validating writes nothing) when it
    does not exist."""
    policy = PasswordPolicy.objects.filter(name=local_policy_name()).first()
    return policy or PasswordPolicy(name=local_policy_name())


@checks.register(checks.Tags.security)
def check_local_password_policy(app_configs=None, databases=None, **kwargs):
    """A misspelt RAPORTAL_LOCAL_PASSWORD_POLICY would silently apply the default rules."""
    name = getattr(settings, "RAPORTAL_LOCAL_PASSWORD_POLICY", "")
    if not name:
        return []
    try:
        exists = PasswordPolicy.objects.filter(name=name).exists()
    except Exception:  # no database yet (before migrate): nothing to say
        return []
    if exists:
        return []
    return [
        checks.Error(
            f"RAPORTAL_LOCAL_PASSWORD_POLICY names {name!r}, which is no password policy here",
            hint="Create it (the admin's password policies) or fix the name.",
            id="raportal.E101",
        )
    ]


class PasswordPolicyValidator:
    """Django password validator: the local-account password policy's rules, in words."""

    def validate(self, password, user=None):
        policy = local_password_policy()
        problems = policy.violations(password)
        if len(password) < LOCAL_PASSWORD_FLOOR and policy.min_length < LOCAL_PASSWORD_FLOOR:
            problems.insert(0, f"at least {LOCAL_PASSWORD_FLOOR} characters")
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
            f"{max(policy.min_length, LOCAL_PASSWORD_FLOOR)} to {policy.max_length} "
            "characters, with at least "
            f"{policy.min_upper} upper-case, {policy.min_lower} lower-case letters and "
            f"{policy.min_digits} digits"
        )
        if policy.min_special:
            text += f" and {policy.min_special} of {policy.special_chars}"
        return f"Your password needs {text} (password policy {policy.name})."
