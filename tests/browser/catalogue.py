"""Every page of the portal each demo account can open, with real objects in its URLs.

The catalogue serves the accessibility test (tests/browser/test_accessibility.py), ``make
screenshots`` and the benchmarks: anything that must visit "every page". It reads the database
``manage.py init_pki`` and ``manage.py seed_demo`` made, plus what ``seed_activity()`` adds
(certificates, a pending request, a trigger…: the objects the detail pages show).

Each entry names a route of the URL conf (its full pattern, as ``url_patterns()`` walks it)
and the accounts that open it. Routes that are not pages — downloads, POST-only actions,
protocol endpoints — are in ``EXCLUDED`` with the reason, and
tests/browser/test_catalogue.py fails when a route is in neither, so a new page cannot be
forgotten.

Use, with Django set up and the database seeded::

    from tests.browser import catalogue
    catalogue.seed_activity()
    for page in catalogue.pages("approver"):
        print(page.name, page.url)
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

ANONYMOUS = "anonymous"
# The demo accounts of seed_demo, by what they may do: administrator (staff), approver
# (perform on the demo profiles), requester (request).
ACCOUNTS = (ANONYMOUS, "requester", "approver", "admin")
SIGNED_IN = ("requester", "approver", "admin")
STAFF = ("admin",)
APPROVERS = ("approver", "admin")


def password_of(account: str) -> str:
    return f"{account}-password"  # seed_demo's published demo passwords


@dataclass(frozen=True)
class Page:
    name: str  # short and unique per account: screenshots and failure messages use it
    url: str
    route: str  # the URL conf pattern it opens (url_patterns())
    ready: str = ""  # a CSS selector present once the page's script has drawn it


@dataclass(frozen=True)
class Entry:
    name: str
    route: str
    accounts: tuple[str, ...]
    # The URL's arguments from the world and the account (None: none)
    args: Callable[["World", str], dict[str, Any]] | None = None
    query: str = ""
    ready: str = ""  # see Page


@dataclass
class World:
    """The objects the catalogue's URLs name, read from the database once."""

    certificate: dict[str, str] = field(default_factory=dict)  # account → its certificate id
    request: dict[str, str] = field(default_factory=dict)  # account → their first request
    pending: str = ""  # the requester's pending request, which the approvers may decide
    team: str = ""
    account_id: int = 0
    label: str = ""
    campaign: str = ""
    authority: str = ""
    trigger: int = 0
    acme_profile: str = ""
    eab_kid: str = ""
    acme_account: int = 0


def _own(what: str) -> Callable[[World, str], dict[str, Any]]:
    def args(world: World, account: str) -> dict[str, Any]:
        if what == "certificate":
            return {"certificate_id": world.certificate[account]}
        return {"request_id": world.request[account]}

    return args


def _action(action: str) -> Callable[[World, str], dict[str, Any]]:
    return lambda world, account: {"certificate_id": world.certificate[account], "action": action}


ENTRIES: list[Entry] = [
    Entry("login", "login/", (ANONYMOUS,)),
    Entry("home", "", ACCOUNTS),
    Entry("api-docs", "api/docs/", ACCOUNTS, ready=".swagger-ui .info"),
    Entry("enroll-profiles", "enroll/", SIGNED_IN),
    Entry("enroll", "enroll/<slug:name>/", SIGNED_IN, lambda w, a: {"name": "webra-demo"}),
    Entry(
        "enroll-renewable",
        "enroll/<slug:name>/",
        SIGNED_IN,
        lambda w, a: {"name": "webra-renewable"},
    ),
    Entry("my-requests", "requests/", SIGNED_IN),
    Entry("request-detail", "requests/<uuid:request_id>/", SIGNED_IN, _own("request")),
    Entry(
        "request-pending",
        "requests/<uuid:request_id>/",
        ("requester",),
        lambda w, a: {"request_id": w.pending},
    ),
    Entry("my-certificates", "certificates/", SIGNED_IN),
    Entry("expiring", "certificates/expiring/", SIGNED_IN),
    Entry(
        "certificate-detail", "certificates/<uuid:certificate_id>/", SIGNED_IN, _own("certificate")
    ),
    *[
        Entry(
            f"certificate-{action}",
            "certificates/<uuid:certificate_id>/<slug:action>/",
            SIGNED_IN,
            _action(action),
        )
        for action in ("renew", "revoke", "update", "recover", "migrate")
    ],
    Entry("import", "import/", SIGNED_IN),
    Entry("approvals", "approvals/", APPROVERS),
    Entry("decided", "approvals/decided/", APPROVERS),
    Entry(
        "approval-decide",
        "approvals/<uuid:request_id>/",
        APPROVERS,
        lambda w, a: {"request_id": w.pending},
    ),
    # Administration (staff)
    Entry("manage", "manage/", STAFF),
    Entry("manage-profiles", "manage/profiles/", STAFF),
    Entry("manage-profile-new", "manage/profiles/new/", STAFF),
    Entry(
        "manage-profile-edit",
        "manage/profiles/<slug:name>/",
        STAFF,
        lambda w, a: {"name": "webra-demo"},
    ),
    Entry(
        "manage-profile-edit-acme",
        "manage/profiles/<slug:name>/",
        STAFF,
        lambda w, a: {"name": "acme-eab"},
    ),
    Entry(
        "manage-profile-grants",
        "manage/profiles/<slug:name>/grants/",
        STAFF,
        lambda w, a: {"name": "webra-demo"},
    ),
    Entry("manage-teams", "manage/teams/", STAFF),
    Entry("manage-team-new", "manage/teams/new/", STAFF),
    Entry("manage-team-edit", "manage/teams/<slug:name>/", STAFF, lambda w, a: {"name": w.team}),
    Entry(
        "manage-team-delete",
        "manage/teams/<slug:name>/delete/",
        STAFF,
        lambda w, a: {"name": w.team},
    ),
    Entry("manage-accounts", "manage/accounts/", STAFF),
    Entry(
        "manage-account",
        "manage/accounts/<int:user_id>/",
        STAFF,
        lambda w, a: {"user_id": w.account_id},
    ),
    Entry(
        "manage-account-password",
        "manage/accounts/<int:user_id>/password/",
        STAFF,
        lambda w, a: {"user_id": w.account_id},
    ),
    Entry("manage-labels", "manage/labels/", STAFF),
    Entry("manage-label-new", "manage/labels/new/", STAFF),
    Entry("manage-label-edit", "manage/labels/<slug:name>/", STAFF, lambda w, a: {"name": w.label}),
    Entry("manage-campaigns", "manage/discovery/", STAFF),
    Entry("manage-campaign-new", "manage/discovery/new/", STAFF),
    Entry(
        "manage-campaign-edit",
        "manage/discovery/<slug:name>/",
        STAFF,
        lambda w, a: {"name": w.campaign},
    ),
    Entry("manage-audit", "manage/audit/", STAFF),
    Entry("manage-authorities", "manage/authorities/", STAFF),
    Entry(
        "manage-authority",
        "manage/authorities/<slug:name>/",
        STAFF,
        lambda w, a: {"name": w.authority},
    ),
    Entry("manage-triggers", "manage/triggers/", STAFF),
    *[
        Entry(
            f"manage-trigger-new-{kind}",
            "manage/triggers/new/<slug:kind>/",
            STAFF,
            lambda w, a, kind=kind: {"kind": kind},
        )
        for kind in ("email", "rest")
    ],
    Entry("manage-trigger", "manage/triggers/<int:pk>/", STAFF, lambda w, a: {"pk": w.trigger}),
    Entry(
        "manage-trigger-edit",
        "manage/triggers/<int:pk>/edit/",
        STAFF,
        lambda w, a: {"pk": w.trigger},
    ),
    Entry("manage-acme", "manage/acme/", STAFF),
    Entry(
        "manage-acme-eab",
        "manage/acme/<slug:name>/eab/",
        STAFF,
        lambda w, a: {"name": w.acme_profile},
    ),
    Entry(
        "manage-acme-eab-new",
        "manage/acme/<slug:name>/eab/new/",
        STAFF,
        lambda w, a: {"name": w.acme_profile},
    ),
    Entry(
        "manage-acme-eab-delete",
        "manage/acme/<slug:name>/eab/<str:kid>/delete/",
        STAFF,
        lambda w, a: {"name": w.acme_profile, "kid": w.eab_kid},
    ),
    Entry(
        "manage-acme-accounts",
        "manage/acme/<slug:name>/accounts/",
        STAFF,
        lambda w, a: {"name": w.acme_profile},
    ),
    Entry(
        "manage-acme-account-deactivate",
        "manage/acme/<slug:name>/accounts/<int:account_id>/deactivate/",
        STAFF,
        lambda w, a: {"name": w.acme_profile, "account_id": w.acme_account},
    ),
]

# Routes that are not pages to look at, by prefix (a whole area) or full pattern.
EXCLUDED_PREFIXES = {
    "admin/": "Django's own admin site (its templates are Django's), for emergency data fixes",
    "api/v1/": "the REST API (JSON; tested by tests/contract and tests/requests_app)",
    ".well-known/est/": "EST protocol endpoints (RFC 7030) for devices",
    "scep/": "SCEP protocol endpoints (RFC 8894) for devices",
    "certsrv/mscep/": "SCEP under Microsoft NDES's path, for devices",
    "acme/": "ACME protocol endpoints (RFC 8555) for clients",
    "ocsp/": "OCSP responder (RFC 6960)",
    "pki/": "CA certificate and CRL downloads",
}
EXCLUDED = {
    "healthz": "health check for load balancers (plain text)",
    "favicon.ico": "redirect to the icon",
    "logout/": "POST only (the Sign out button)",
    "api/schema/": "the OpenAPI schema (YAML), read by the API docs page",
    "approvals/bulk": "POST only (the queue's bulk decision)",
    "requests/<uuid:request_id>/cancel": "POST only (the request page's Cancel)",
    "requests/<uuid:request_id>/triggers/run": "POST only (run a trigger again)",
    "certificates/<uuid:certificate_id>/triggers/run": "POST only (run a trigger again)",
    "certificates/<uuid:certificate_id>/download/<slug:fmt>": "a file download",
    "manage/accounts/<int:user_id>/keys/": "POST only (new API key)",
    "manage/accounts/<int:user_id>/keys/<int:key_id>/revoke/": "POST only",
    "manage/accounts/<int:user_id>/active/": "POST only",
    "manage/labels/<slug:name>/delete/": "POST only",
    "manage/discovery/<slug:name>/enabled/": "POST only",
    "manage/discovery/<slug:name>/flush/": "POST only",
    "manage/discovery/<slug:name>/delete/": "POST only",
    "manage/audit/export.jsonl": "a file download (JSON lines)",
    "manage/audit/verify/": "POST only",
    "manage/profiles/preview/": "POST only (the editor's live preview fragment)",
    "manage/profiles/<slug:name>/preview/": "POST only (the editor's live preview fragment)",
    "manage/profiles/<slug:name>/clone/": "POST only",
    "manage/profiles/<slug:name>/toggle/": "POST only",
    "manage/profiles/<slug:name>/delete/": "POST only",
    "manage/authorities/<slug:name>/scep-ra/renew/": "POST only",
    "manage/triggers/<int:pk>/test/": "POST only",
    "manage/triggers/<int:pk>/rotate/": "POST only",
    "manage/triggers/<int:pk>/delete/": "POST only",
}


def excluded_reason(route: str) -> str | None:
    if route in EXCLUDED:
        return EXCLUDED[route]
    for prefix, reason in EXCLUDED_PREFIXES.items():
        if route.startswith(prefix):
            return reason
    return None


def url_patterns() -> Iterator[str]:
    """Every route of the URL conf, as its full pattern (includes followed)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    yield from walk(get_resolver().url_patterns, "")


def world() -> World:
    """The objects named in the catalogue's URLs (seed_activity() makes them)."""
    from django.contrib.auth import get_user_model

    from acme_server.models import AcmeAccount, ExternalAccountKey
    from certificates.models import Certificate, CertificateAuthority
    from discovery.models import DiscoveryCampaign
    from profiles.models import Label, Team
    from requests_app.models import Request, Status
    from triggers.models import Trigger

    users = {u.username: u for u in get_user_model().objects.filter(username__in=SIGNED_IN)}
    found = World()
    for account, user in users.items():
        certificate = (
            Certificate.objects.filter(
                owner=user, revocation_date__isnull=True, profile__name="webra-demo"
            )
            .order_by("created_at")
            .first()
        )
        request = Request.objects.filter(requester=user).order_by("created_at").first()
        if certificate is None or request is None:
            raise LookupError(f"{account} has no certificate or request: run seed_activity()")
        found.certificate[account] = str(certificate.pk)
        found.request[account] = str(request.pk)
    pending = Request.objects.filter(requester=users["requester"], status=Status.PENDING).first()
    if pending is None:
        raise LookupError("no pending request of the requester: run seed_activity()")
    found.pending = str(pending.pk)
    found.team = Team.objects.order_by("name").values_list("name", flat=True).first() or ""
    found.account_id = users["requester"].pk
    found.label = Label.objects.order_by("name").values_list("name", flat=True).first() or ""
    found.campaign = DiscoveryCampaign.objects.values_list("name", flat=True).first() or ""
    found.authority = (
        CertificateAuthority.objects.filter(parent__isnull=False)
        .order_by("created_at")
        .values_list("name", flat=True)
        .first()
        or ""
    )
    found.trigger = Trigger.objects.values_list("pk", flat=True).first() or 0
    key = ExternalAccountKey.objects.select_related("profile").first()
    account = AcmeAccount.objects.select_related("profile").first()
    if key is None or account is None or not (found.trigger and found.campaign):
        raise LookupError("no trigger, campaign, EAB key or ACME account: run seed_activity()")
    found.acme_profile, found.eab_kid = key.profile.name, key.kid
    found.acme_account = account.pk if account.profile_id == key.profile_id else 0
    return found


def pages(account: str, objects: World | None = None) -> list[Page]:
    """The pages ``account`` (one of ACCOUNTS) can open, in the catalogue's order."""
    from django.urls import reverse

    if account not in ACCOUNTS:
        raise ValueError(f"unknown account {account!r}: one of {ACCOUNTS}")
    objects = objects if objects is not None else world()
    routes = _routes_by_name()
    out = []
    for entry in ENTRIES:
        if account not in entry.accounts:
            continue
        kwargs = entry.args(objects, account) if entry.args else {}
        url = reverse(routes[entry.route], kwargs=kwargs) + entry.query
        out.append(Page(entry.name, url, entry.route, entry.ready))
    return out


def _routes_by_name() -> dict[str, str]:
    """Route pattern → a name reverse() knows it by."""
    from django.urls import URLPattern, URLResolver, get_resolver

    names: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.setdefault(prefix + str(pattern.pattern), namespace + pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return names


# --- the objects the detail pages need -------------------------------------------------------


def seed_activity() -> None:
    """What the pages show beyond seed_demo's accounts and profiles, made through the
    services as the portal would (idempotent: only what is missing): a certificate of each
    demo account, a pending request of the requester, a trigger, a discovery campaign, an
    EAB key and an ACME account on acme-eab."""
    from django.contrib.auth import get_user_model

    from acme_server import eab
    from acme_server.models import AcmeAccount, ExternalAccountKey
    from administration.services.triggers import create_trigger
    from certificates.models import Certificate
    from discovery.models import DiscoveryCampaign
    from profiles.models import Profile
    from requests_app import services
    from requests_app.api.inputs import parse
    from requests_app.models import Request, Status
    from requests_app.workflows import handler_for
    from triggers.models import Trigger

    users = {u.username: u for u in get_user_model().objects.filter(username__in=SIGNED_IN)}
    enroll = handler_for("webra", "enroll")

    def submit(user: Any, cn: str) -> Any:
        body = {
            "profile": "webra-demo",
            "module": "webra",
            "workflow": "enroll",
            "template": {
                "csr": _csr(cn),
                "subject": [
                    {"element": "cn.1", "value": cn},
                    {"element": "o.1", "value": "RA Portal demo"},
                    {"element": "c.1", "value": "FR"},
                ],
                "sans": [{"type": "DNSNAME", "value": [cn]}],
                "labels": [{"label": "env", "value": "dev"}],
            },
        }
        return services.request_submit(user, enroll, parse(enroll.submit_serializer, body)).request

    for account, user in users.items():
        owned = Certificate.objects.filter(
            owner=user, profile__name="webra-demo", revocation_date__isnull=True
        )
        if owned.exists() and Request.objects.filter(requester=user).exists():
            continue  # what world() looks for is there already
        request = submit(user, f"{account}-app.demo.example.com")
        if request.status == Status.PENDING:  # the requester's: the approver approves it
            request = services.request_approve(users["approver"], str(request.pk)).request
    waiting = Request.objects.filter(requester=users["requester"], status=Status.PENDING)
    if not waiting.exists():
        submit(users["requester"], "requester-portal.demo.example.com")
    if not Trigger.objects.exists():
        create_trigger(users["admin"], _demo_trigger())
    if not DiscoveryCampaign.objects.exists():
        DiscoveryCampaign.objects.create(
            name="datacenter", description="TLS servers of the data centre", hosts=["10.0.0.0/28"]
        )
    acme = Profile.objects.get(name="acme-eab")
    if not ExternalAccountKey.objects.filter(profile=acme).exists():
        eab.create_eab_key(
            profile=acme, user=users["requester"], comment="demo key", actor=users["admin"]
        )
    if not AcmeAccount.objects.filter(profile=acme).exists():
        AcmeAccount.objects.create(
            profile=acme,
            thumbprint="demo-thumbprint",
            jwk={"kty": "EC", "crv": "P-256", "x": "demo", "y": "demo"},
            contact=["mailto:ops@example.com"],
            terms_agreed=True,
            user=users["requester"],
        )


def _demo_trigger() -> dict[str, Any]:
    return {
        "name": "notify-pki-team",
        "type": "email",
        "events": ["on_enroll"],
        "retries": 2,
        "emailTemplate": {
            "to": [{"type": "static", "email": "pki-team@example.com"}],
            "from": "RA Portal",
            "title": "New certificate {{certificate.dn}}",
            "body": "Request {{request.id}} on {{profile.name}}: {{request.dn}}\n",
            "isHtml": False,
        },
    }


def _csr(cn: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(Encoding.PEM).decode()
