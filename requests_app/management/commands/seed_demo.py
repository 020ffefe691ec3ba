"""Demo accounts, team, profile and grants (idempotent). Development only."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from certificates.models import CertificateAuthority
from profiles.models import (
    Grant,
    GrantLevel,
    Label,
    LabelRule,
    PasswordMode,
    Profile,
    SanRule,
    SubjectRule,
    Team,
    Workflow,
)
from raportal.models import ApiCredential

REQUEST_POLICY_WORKFLOWS = ["enroll", "revoke", "update", "renew", "recover", "migrate"]

DEMO_USERS = [
    # username, superuser, grant level on webra-demo
    ("admin", True, GrantLevel.PERFORM),
    ("approver", False, GrantLevel.PERFORM),
    ("requester", False, GrantLevel.REQUEST),
]


DEMO_PROFILES: dict[str, tuple[str, dict[str, object]]] = {
    # name: (module, overrides of the webra-demo settings)
    "webra-demo": ("webra", {}),
    "webra-renewable": (
        "webra",
        {
            "display_name": "Demo renewable certificate",
            "description": "Valid 20 days, renewable 30 days before expiry: renewable at once.",
            "validity_days": 20,
        },
    ),
    "webra-alt": (
        "webra",
        {
            "display_name": "Demo migration target",
            "description": "Same rules as webra-demo: certificates can migrate here.",
        },
    ),
    "est-demo": (
        "est",
        {
            "display_name": "Demo EST devices",
            "description": "One-time challenges for EST devices (random password).",
            "dn_whitelist": False,
        },
    ),
    "scep-demo": (
        "scep",
        {
            "display_name": "Demo SCEP devices",
            "description": "One-time challenges for SCEP devices, bound to a DN.",
            "dn_whitelist": True,
        },
    ),
}


def seed_demo_profile(ca: CertificateAuthority, name: str = "webra-demo") -> Profile:
    module, overrides = DEMO_PROFILES[name]
    defaults = {
        "display_name": "Demo TLS certificate",
        "description": "TLS server and client certificates for demonstrations.",
        "module": module,
        "enabled": True,
        "ca": ca,
        "validity_days": 365,
        "extended_key_usages": ["serverAuth", "clientAuth"],
        "ocsp_in_aia": True,  # relying parties may ask /ocsp/<ca> (README, "OCSP")
        "centralized": True,
        "decentralized": True,
        "authorized_key_types": [
            "rsa-2048",
            "rsa-3072",
            "ec-secp256r1",
            "ec-secp384r1",
            "ed-25519",
        ],
        "default_key_type": "ec-secp256r1",
        "escrow": True,
        "p12_password_mode": PasswordMode.MANUAL,
        "renewal_enabled": True,
        "renewal_period_days": 30,
        "challenge_enabled": True,
        "challenge_password_mode": PasswordMode.RANDOM,
        **{f"{workflow}_request_expiry_days": 7 for workflow in REQUEST_POLICY_WORKFLOWS},
        **overrides,
    }
    profile, _ = Profile.objects.update_or_create(name=name, defaults=defaults)
    subject = [
        ("cn.1", True, ""),
        ("o.1", False, ""),
        ("ou.1", False, ""),
        ("c.1", False, "^[A-Z]{2}$"),
    ]
    for position, (element, mandatory, regex) in enumerate(subject):
        SubjectRule.objects.update_or_create(
            profile=profile,
            element=element,
            defaults={
                "mandatory": mandatory,
                "regex": regex,
                "position": position,
                "editable_by_requester": True,
                "editable_by_approver": True,
            },
        )
    for san_type, maximum in [("DNSNAME", 5), ("IPADDRESS", 2), ("RFC822NAME", 2)]:
        SanRule.objects.update_or_create(
            profile=profile, san_type=san_type, defaults={"min": 0, "max": maximum}
        )
    Label.objects.get_or_create(
        name="env", defaults={"display_name": "Environment", "description": "dev, staging or prod"}
    )
    LabelRule.objects.update_or_create(
        profile=profile,
        label="env",
        defaults={"mandatory": False, "enum": ["dev", "staging", "prod"]},
    )
    return profile


class Command(BaseCommand):
    help = "Create the demo accounts, team, profiles and grants (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with published passwords: it runs only with "
                "DJANGO_DEBUG=1 (or --force, never in production)."
            )
        ca = (
            CertificateAuthority.objects.issuers()
            .filter(parent__isnull=False)
            .order_by("created_at")
        )
        ca = ca.first()
        if ca is None:
            raise CommandError("no issuing CA: run `manage.py init_pki` first")
        users = {}
        User = get_user_model()
        for username, superuser, _ in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            if created:
                user.set_password(f"{username}-password")
            user.is_staff = user.is_superuser = superuser
            user.save()
            credential = ApiCredential.objects.filter(api_id=username).first()
            if credential is None:
                credential = ApiCredential(api_id=username, user=user, description="demo")
                credential.set_key(f"{username}-key")
                credential.save()
            users[username] = user
        team, _ = Team.objects.get_or_create(
            name="demo-team", defaults={"display_name": "Demo team"}
        )
        team.members.add(users["approver"], users["requester"])
        for name, (module, _) in DEMO_PROFILES.items():
            profile = seed_demo_profile(ca, name)
            workflows = Workflow.values if module == "webra" else [Workflow.ENROLL]
            for username, _, level in DEMO_USERS:
                for workflow in workflows:
                    Grant.objects.update_or_create(
                        profile=profile,
                        workflow=workflow,
                        user=users[username],
                        defaults={"level": level},
                    )
        self.stdout.write(
            self.style.SUCCESS(
                "Demo ready: admin / approver / requester, password <name>-password, "
                f"API key <name>-key; profiles {', '.join(DEMO_PROFILES)}; team demo-team."
            )
        )
