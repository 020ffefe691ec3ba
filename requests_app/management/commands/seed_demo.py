"""Demo accounts, team, profiles and grants, and sample certificates and requests
(idempotent). Development only."""

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
from requests_app.management.demo_samples import seed_samples

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


# ACME profiles (RFC 8555): servers enroll by themselves at /acme/<name>/directory.
ACME_PROFILES: dict[str, dict[str, object]] = {
    # Open: any client may register without EAB, and its orders are issued as soon as the
    # names are validated (acme_unbound_level perform).
    "acme-demo": {
        "display_name": "Demo ACME (open)",
        "description": "certbot and other ACME clients, no account binding: validated names "
        "are issued at once.",
        "acme_eab_required": False,
        "acme_unbound_level": GrantLevel.PERFORM,
    },
    # Bound: each account needs an EAB key made in the portal for a user or a team, and
    # acts as them (the demo team performs; a requester's orders wait for an approver).
    "acme-eab": {
        "display_name": "Demo ACME (External Account Binding)",
        "description": "Accounts need an EAB key made in the portal (Administration, ACME).",
        "acme_eab_required": True,
        "acme_unbound_level": "",
    },
}


def seed_acme_profile(ca: CertificateAuthority, name: str) -> Profile:
    """An ACME demo profile: TLS server certificates for DNS names, keys always the client's."""
    defaults = {
        "module": "acme",
        "enabled": True,
        "ca": ca,
        "validity_days": 90,
        "extended_key_usages": ["serverAuth"],
        "ocsp_in_aia": True,  # short-lived and checked online (README, "OCSP")
        # RFC 8555 §7.4: the client sends its CSR; the portal never makes an ACME key.
        "centralized": False,
        "decentralized": True,
        "authorized_key_types": ["ec-secp256r1", "ec-secp384r1", "rsa-2048", "rsa-3072"],
        "default_key_type": "ec-secp256r1",
        "escrow": False,
        "allow_wildcards": True,  # proven with dns-01 only (acme_server/orders.py)
        "renewal_enabled": True,
        "renewal_period_days": 30,
        "acme_challenge_types": ["http-01", "dns-01"],
        **ACME_PROFILES[name],
    }
    profile, _ = Profile.objects.update_or_create(name=name, defaults=defaults)
    SubjectRule.objects.update_or_create(
        profile=profile,
        element="cn.1",
        defaults={"mandatory": False, "position": 0, "editable_by_requester": True},
    )
    SanRule.objects.update_or_create(
        profile=profile, san_type="DNSNAME", defaults={"min": 1, "max": 100}
    )
    return profile


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
        parser.add_argument(
            "--without-samples",
            action="store_true",
            help="No sample certificates and requests (the accounts, profiles and grants only).",
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
        profiles = [
            (seed_demo_profile(ca, name), module) for name, (module, _) in DEMO_PROFILES.items()
        ]
        profiles += [(seed_acme_profile(ca, name), "acme") for name in ACME_PROFILES]
        for profile, module in profiles:
            workflows = Workflow.values if module == "webra" else [Workflow.ENROLL]
            for username, _, level in DEMO_USERS:
                for workflow in workflows:
                    Grant.objects.update_or_create(
                        profile=profile,
                        workflow=workflow,
                        user=users[username],
                        defaults={"level": level},
                    )
        # An account bound to the demo team by an EAB key enrolls at once on acme-eab.
        Grant.objects.update_or_create(
            profile=Profile.objects.get(name="acme-eab"),
            workflow=Workflow.ENROLL,
            team=team,
            defaults={"level": GrantLevel.PERFORM},
        )
        # Something for the home dashboard to chart (requests_app/management/demo_samples.py).
        samples = 0 if options["without_samples"] else seed_samples(users, team)
        names = [*DEMO_PROFILES, *ACME_PROFILES]
        self.stdout.write(
            self.style.SUCCESS(
                "Demo ready: admin / approver / requester, password <name>-password, "
                f"API key <name>-key; profiles {', '.join(names)}; team demo-team; "
                f"{samples} sample certificates and requests made."
            )
        )
