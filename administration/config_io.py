"""The whole configuration as one JSON document: ``manage.py export_config`` writes it,
``manage.py import_config FILE`` applies it, idempotently (create what is missing, update
what differs; nothing the file does not name is deleted).

Every object travels in the shape of Horizon's admin API, and is read and written THROUGH
that API's own views (called in-process as a staff actor): the file means exactly what the
API means, with the same validation. Sections, in the order they are applied:

    passwordPolicies, labels, localIdentities, teams (+ members), cas (trust entries),
    connectors (integrated CAs), profiles, discoveryCampaigns, principalInfos (+ user grants
    and discovery rights), teamGrants

Secrets: local passwords and generated API keys are never exported (an account created by an
import has no password until an admin sets one; a hand-written file may give "password" to
bootstrap an instance). A connector's CA key is
exported sealed (AES-GCM under RAPORTAL_KEK, bound to the connector's name): the file can be
kept in git and applied on any instance sharing that key-encryption key, and nowhere else.
"""

import base64
import json

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import resolve
from rest_framework.test import APIRequestFactory, force_authenticate

from administration.api.identities import checked_identifier, identity_json, set_email, set_name
from certificates.ca_keys import ca_private_key
from certificates.models import CertificateAuthority
from profiles.models import Grant, GrantLevel, PasswordPolicy, Profile, Team, Workflow
from raportal.crypto import open_sealed, seal
from raportal.errors import DomainError
from raportal.models import record

FORMAT = "raportal-config/1"
VOLATILE = ("creationDate", "lastAuthentication", "lastModification")


class ConfigError(Exception):
    """An object of the file the API refused: which one, and the API's problem."""


def _actor():
    """The staff principal the import acts as (unsaved: audit events name no account)."""
    return get_user_model()(username="import_config", is_staff=True, is_superuser=True)


class Api:
    """Horizon's admin API, called in-process."""

    def __init__(self, actor=None):
        self.factory = APIRequestFactory()
        self.actor = actor or _actor()

    def call(self, method: str, path: str, body=None) -> tuple[int, object]:
        request = getattr(self.factory, method)(path, body, format="json")
        force_authenticate(request, user=self.actor)
        match = resolve(path)
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render"):
            response.render()
        data = json.loads(response.content) if response.content else None
        return response.status_code, data

    def get(self, path: str):
        status, data = self.call("get", path)
        if status == 204:
            return []
        if status != 200:
            raise ConfigError(f"GET {path}: {status} {data}")
        return data

    def put_or_post(self, kind: str, collection: str, name: str, body: dict) -> str:
        """Creates the object ``name``, or updates it when it differs from ``body`` (an
        unchanged object is not written: no audit event, no new revision). Returns
        "created", "updated" or "unchanged"."""
        status, current = self.call("get", f"{collection}/{name}")
        if status == 200:
            if comparable(current) == comparable(body):
                return "unchanged"
            status, data = self.call("put", collection, body)
            outcome = "updated"
        else:
            status, data = self.call("post", collection, body)
            outcome = "created"
        if status not in (200, 201, 204):
            detail = data.get("detail") if isinstance(data, dict) else data
            raise ConfigError(f"{kind} {name!r}: {detail}")
        return outcome


# What an answer carries that a configuration does not: ids, states, dates, the CA key (a
# connector's key matches its certificate, so the same certificate means the same key).
NOT_CONFIGURATION = {"_id", "status", "caKey", "caKeySealed", "members", *VOLATILE}


def comparable(value):
    """``value`` without what is not configuration, and with absent = null = empty."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = comparable(item)
            if key not in NOT_CONFIGURATION and item not in (None, [], {}):
                out[key] = item
        return out
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


def _strip(item: dict, *keys: str) -> dict:
    return {k: v for k, v in item.items() if k not in {"_id", *keys}}


LABELS = "/api/v1/certificate/labels"
TEAMS = "/api/v1/security/teams"
LOCALS = "/api/v1/security/identity/locals"
PRINCIPALS = "/api/v1/security/principalinfos"
CAS = "/api/v1/cas"
CONNECTORS = "/api/v1/pki/connectors"
PROFILES = "/api/v1/certificate/profiles"
CAMPAIGNS = "/api/v1/discovery/campaigns"


def _key_context(name: str) -> str:
    return f"export:ca-key:{name}"


# --- export ---------------------------------------------------------------------------------


def export_config() -> dict:
    api = Api()
    config = {"format": FORMAT}
    config["passwordPolicies"] = [
        policy.as_json() for policy in PasswordPolicy.objects.order_by("name")
    ]
    config["labels"] = [_strip(label) for label in api.get(LABELS)]
    teams = []
    for team in api.get(TEAMS):
        team = _strip(team)
        team["members"] = api.get(f"{TEAMS}/{team['name']}/members")
        teams.append(team)
    config["teams"] = teams
    # Every account, as a LocalIdentity (never a password: see the module's docstring).
    config["localIdentities"] = [
        _strip(identity_json(user)) for user in get_user_model().objects.order_by("username")
    ]
    principals = []
    for user in get_user_model().objects.order_by("username"):
        status, data = api.call("get", f"{PRINCIPALS}/{user.get_username()}")
        if status == 200:
            principals.append(
                _strip(data, "creationDate", "lastAuthentication", "lastModification")
            )
    config["principalInfos"] = principals
    config["cas"] = [_ca_entry(entry) for entry in api.get(CAS)]
    issuers = CertificateAuthority.objects.exclude(sealed_key__isnull=True)
    connectors = []
    for ca in _parents_first(issuers):
        connector = _strip(api.get(f"{CONNECTORS}/{ca.name}"), "status")
        connector["caKeySealed"] = _sealed_key(ca)
        record(None, "ca.key.export", ca, name=ca.name, sealed=True, by="export_config")
        connectors.append(connector)
    config["connectors"] = connectors
    config["profiles"] = [_strip(p) for p in api.get(PROFILES)]
    config["discoveryCampaigns"] = [_strip(c) for c in api.get(CAMPAIGNS)]
    config["teamGrants"] = [
        {
            "team": grant.team.name,
            "profile": grant.profile.name,
            "workflow": grant.workflow,
            "level": grant.level,
        }
        for grant in Grant.objects.filter(team__isnull=False)
        .select_related("team", "profile")
        .order_by("team__name", "profile__name", "workflow")
    ]
    return config


def _parents_first(queryset) -> list[CertificateAuthority]:
    cas = list(queryset.order_by("created_at", "pk"))
    done, out = set(), []
    while cas:
        ready = [
            ca
            for ca in cas
            if ca.parent_id is None
            or ca.parent_id in done
            or not any(other.pk == ca.parent_id for other in cas)
        ]
        for ca in ready or cas[:1]:
            out.append(ca)
            done.add(ca.pk)
            cas.remove(ca)
    return out


CA_FLAGS = (
    "trustedForClientAuthentication",
    "trustedForServerAuthentication",
    "outdatedRevocationStatusPolicy",
    "public",
    "downloadable",
)


CA_DEFAULTS = {
    "trustedForClientAuthentication": False,
    "trustedForServerAuthentication": False,
    "outdatedRevocationStatusPolicy": "unknown",
    "public": False,
    "downloadable": False,
}


def _ca_entry(data: dict) -> dict:
    """An entry of the list of CAs as the file keeps it: name, PEM, trust flags."""
    flags = {key: data[key] for key in CA_FLAGS if data.get(key) is not None}
    return {"name": data["name"], "certificate": data["certificate"]["pem"], **flags}


def _sealed_key(ca: CertificateAuthority) -> str:
    der = ca_private_key(ca).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(seal(der, _key_context(ca.name))).decode()


# --- import ---------------------------------------------------------------------------------


SECTIONS = {
    "passwordPolicies": "name",
    "labels": "name",
    "localIdentities": "identifier",
    "teams": "name",
    "cas": "name",
    "connectors": "name",
    "profiles": "name",
    "discoveryCampaigns": "name",
    "principalInfos": "identifier",
    "teamGrants": "team",
}


def check_structure(config) -> None:
    """A configuration file's shape: the format, known sections, lists of objects naming
    themselves (a typo in a section's name would otherwise apply nothing, silently)."""
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ConfigError(f'not a configuration file: expected "format": "{FORMAT}"')
    unknown = sorted(set(config) - set(SECTIONS) - {"format"})
    if unknown:
        raise ConfigError(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    for section, key in SECTIONS.items():
        items = config.get(section, [])
        if not isinstance(items, list) or not all(
            isinstance(item, dict) and isinstance(item.get(key), str) for item in items
        ):
            raise ConfigError(f'{section}: expected a list of objects, each with "{key}"')


def import_config(config: dict) -> list[str]:
    """Applies ``config`` in one transaction; returns what was done, one line per object
    (created, updated or unchanged). Objects the file lists are made to match it, their
    members and grants included; objects it does not list are left alone. Raises
    ConfigError (nothing applied) when the file or the API refuses something."""
    check_structure(config)
    api = Api()
    done: list[str] = []
    with transaction.atomic():
        for policy in config.get("passwordPolicies", []):
            done.append(f"password policy {policy['name']}: {_apply_password_policy(policy)}")
        for label in config.get("labels", []):
            outcome = api.put_or_post("label", LABELS, label["name"], label)
            done.append(f"label {label['name']}: {outcome}")
        for identity in config.get("localIdentities", []):
            outcome = _apply_account(identity)
            done.append(f"local identity {identity['identifier']}: {outcome}")
        for team in config.get("teams", []):
            outcome = api.put_or_post("team", TEAMS, team["name"], _strip(team, "members"))
            if _set_members(api, team["name"], team.get("members") or []):
                outcome = "updated" if outcome == "unchanged" else outcome
            done.append(f"team {team['name']}: {outcome}")
        for ca in config.get("cas", []):
            done.append(f"CA {ca['name']}: {_apply_ca(api, ca)}")
        for connector in config.get("connectors", []):
            done.append(f"connector {connector['name']}: {_apply_connector(api, connector)}")
        for profile in config.get("profiles", []):
            outcome = api.put_or_post("profile", PROFILES, profile["name"], profile)
            done.append(f"profile {profile['name']}: {outcome}")
        for campaign in config.get("discoveryCampaigns", []):
            name = campaign["name"]
            outcome = api.put_or_post("discovery campaign", CAMPAIGNS, name, campaign)
            done.append(f"discovery campaign {name}: {outcome}")
        # Principal infos name profiles and campaigns in their permissions: after them.
        for principal in config.get("principalInfos", []):
            name = principal["identifier"]
            outcome = api.put_or_post("principal info", PRINCIPALS, name, principal)
            done.append(f"principal info {name}: {outcome}")
        for team, outcome in _apply_team_grants(config.get("teamGrants", [])):
            done.append(f"grants of team {team}: {outcome}")
    return done


def _apply_account(identity: dict) -> bool:
    """The account named ``identifier`` with this e-mail and name; a new one has no password
    (an admin sets it, or it uses API keys). With a "password" (bootstrapping a fresh
    instance), an account without one gets it through the API, with its validators; an
    account that has one keeps it. Returns "created" (with no password), "updated" or
    "unchanged"."""
    user_model = get_user_model()
    identifier = checked_identifier(str(identity.get("identifier") or ""))
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: identifier}).first()
    created = user is None
    if created:
        user = user_model(**{user_model.USERNAME_FIELD: identifier})
        user.set_unusable_password()
    before = (user.email, user.first_name, user.last_name)
    try:
        set_email(user, identity.get("email") or "")
        set_name(user, identity.get("name") or "")
    except DomainError as exc:
        raise ConfigError(f"local identity {identifier!r}: {exc.detail}") from None
    changed = created or (user.email, user.first_name, user.last_name) != before
    if changed:
        user.save()
    # A bootstrap password, never over one the account has (the user may have changed it).
    if identity.get("password") and not user.has_usable_password():
        # The API's "add a local identity" gives a password-less account its password.
        body = {"identifier": identifier, "password": identity["password"]}
        status, data = Api().call("post", LOCALS, body)
        if status not in (200, 201):
            raise ConfigError(f"local identity {identifier!r}: {data.get('detail')}")
        return "created" if created else "updated"
    if created:
        return "created (no password yet)"
    return "updated" if changed else "unchanged"


def _apply_password_policy(policy: dict) -> str:
    fields = {
        "min_length": policy.get("minChar", 12),
        "max_length": policy.get("maxChar", 128),
        "min_upper": policy.get("minUpChar", 1),
        "min_lower": policy.get("minLoChar", 1),
        "min_digits": policy.get("minDiChar", 1),
        "min_special": policy.get("minSpChar", 0),
        "special_chars": policy.get("spChar") or "!#$%&*+-=?@_~",
    }
    instance = PasswordPolicy.objects.filter(name=policy["name"]).first()
    outcome = "created" if instance is None else "updated"
    instance = instance or PasswordPolicy(name=policy["name"])
    if outcome == "updated" and all(getattr(instance, f) == v for f, v in fields.items()):
        return "unchanged"
    for field, value in fields.items():
        setattr(instance, field, value)
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ConfigError(
            f"password policy {policy['name']!r}: {'; '.join(exc.messages)}"
        ) from None
    instance.save()
    return outcome


def _set_members(api: Api, team: str, members: list[str]) -> bool:
    """The team's members become ``members``; True if that changed anything."""
    current = set(api.get(f"{TEAMS}/{team}/members"))
    wanted = set(members)
    for method, names in (("post", wanted - current), ("delete", current - wanted)):
        if names:
            status, data = api.call(method, f"{TEAMS}/{team}/members", sorted(names))
            if status not in (200, 204):
                raise ConfigError(f"team {team!r} members: {data}")
    return wanted != current


def _apply_ca(api: Api, ca: dict) -> str:
    """The entry named ``name`` with this certificate and these flags (PUT, or POST)."""
    status, current = api.call("get", f"{CAS}/{ca['name']}")
    if status == 200 and _ca_entry(current) == _ca_entry(_with_details(ca)):
        return "unchanged"
    method = "put" if status == 200 else "post"
    # Flags the file leaves out take the defaults: the entry is made to match the file.
    status, data = api.call(method, CAS, {**CA_DEFAULTS, **ca})
    if status not in (200, 201):
        raise ConfigError(f"CA {ca['name']!r}: {data}")
    return "updated" if method == "put" else "created"


def _with_details(ca: dict) -> dict:
    """A file's entry in the API's answer shape (its certificate as ``{"pem": …}``), for
    comparing; flags it leaves out take the API's defaults, as a POST would."""
    certificate = ca.get("certificate")
    pem = certificate.get("pem") if isinstance(certificate, dict) else certificate
    return {**CA_DEFAULTS, **ca, "certificate": {"pem": _normalized_pem(pem)}}


def _normalized_pem(text) -> str | None:
    try:
        certificate = x509.load_pem_x509_certificate(str(text).encode())
    except ValueError:
        return text
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _apply_connector(api: Api, connector: dict) -> str:
    body = _strip(connector, "caKeySealed")
    sealed = connector.get("caKeySealed")
    if sealed and not body.get("caKey"):
        try:
            der = open_sealed(base64.b64decode(sealed), _key_context(connector["name"]))
        except Exception:
            raise ConfigError(
                f"connector {connector['name']!r}: its sealed CA key does not open here "
                "(another RAPORTAL_KEK?)"
            ) from None
        key = serialization.load_der_private_key(der, None)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        body["caKey"] = {"value": pem}
    return api.put_or_post("connector", CONNECTORS, connector["name"], body)


def _apply_team_grants(grants: list[dict]) -> list[tuple[str, str]]:
    """Each team named in the section gets exactly the grants listed for it; returns each
    team with "updated" or "unchanged"."""
    outcomes = []
    by_team: dict[str, list[dict]] = {}
    for grant in grants:
        by_team.setdefault(grant["team"], []).append(grant)
    for team_name, items in by_team.items():
        team = Team.objects.filter(name=team_name).first()
        if team is None:
            raise ConfigError(f"team grants: no team {team_name!r}")
        wanted = set()
        for item in items:
            profile = Profile.objects.filter(name=item["profile"]).first()
            if profile is None:
                raise ConfigError(f"team grants of {team_name!r}: no profile {item['profile']!r}")
            if item.get("workflow") not in Workflow.values:
                raise ConfigError(
                    f"team grants of {team_name!r}: no workflow {item.get('workflow')!r}"
                )
            if item.get("level") not in GrantLevel.values:
                raise ConfigError(f"team grants of {team_name!r}: level is request or perform")
            wanted.add((profile.pk, item["workflow"], item["level"]))
        current = {
            (grant.profile_id, grant.workflow, grant.level): grant.pk
            for grant in Grant.objects.filter(team=team)
        }
        if set(current) == wanted:
            outcomes.append((team_name, "unchanged"))
            continue
        Grant.objects.filter(
            pk__in=[pk for key, pk in current.items() if key not in wanted]
        ).delete()
        Grant.objects.bulk_create(
            [
                Grant(team=team, profile_id=pk, workflow=workflow, level=level)
                for pk, workflow, level in sorted(wanted - set(current))
            ]
        )
        record(None, "team.grants.set", team, grants=len(wanted), by="import_config")
        outcomes.append((team_name, "updated"))
    return outcomes
