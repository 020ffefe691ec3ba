"""The whole configuration as one JSON document: ``manage.py export_config`` writes it,
``manage.py import_config FILE`` applies it, idempotently (create what is missing, update
what differs; nothing the file does not name is deleted).

Every object travels in the shape of Horizon's admin API: it is read with the API's own
readers and written with the same administration services the API and the pages call
(administration/services/), as a staff actor: the file means exactly what the API means,
with the same validation and audit events. Sections, in the order they are applied:

    passwordPolicies, labels, localIdentities, teams (+ members), cas (trust entries),
    connectors (integrated CAs), triggers, profiles, discoveryCampaigns, principalInfos (+ user
    grants and discovery rights), teamGrants

Secrets: local passwords and generated API keys are never exported (an account created by an
import has no password until an admin sets one; a hand-written file may give "password" to
bootstrap an instance). A connector's CA key is
exported sealed (AES-GCM under RAPORTAL_KEK, bound to the connector's name): the file can be
kept in git and applied on any instance sharing that key-encryption key, and nowhere else.
So are a trigger's header values and signing secret (``headersSealed``,
``signingSecretSealed``); the trigger itself shows its secret headers masked.
"""

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Model, QuerySet

from administration.api.authorities import add_entry, change_entry, visible_entries
from administration.api.base import Document, read_body
from administration.api.connectors import add_connector, change_connector, connector_json
from administration.api.discovery_campaigns import campaign_data, campaign_json
from administration.api.identities import identity_json
from administration.api.labels import label_json, label_texts
from administration.api.principal_infos import principal_accounts, principal_info, principal_json
from administration.api.profiles import profiles, read_profile
from administration.api.teams import team_fields, team_json
from administration.api.triggers import read_trigger
from administration.config_current import Current
from administration.profile_shapes import HorizonProfile, profile_json
from administration.services import accounts, grants, labels, principals, teams
from administration.services import profiles as profile_services
from administration.services import triggers as trigger_services
from administration.services.password_policies import save_password_policy
from administration.services.teams import accounts_named
from certificates.api import ca_json
from certificates.ca_keys import ca_private_key
from certificates.models import CaEntry, CertificateAuthority
from discovery import services as discovery_services
from discovery.models import DiscoveryCampaign
from discovery.validation import CampaignData
from profiles.models import Grant, GrantLevel, Label, PasswordPolicy, Profile, Team, Workflow
from raportal.crypto import SecretBoxError, open_sealed, seal
from raportal.errors import DomainError
from raportal.horizon_models import DiscoveryCampaign as CampaignBody
from raportal.horizon_models import Label as LabelBody
from raportal.horizon_models import PrincipalInfo as PrincipalInfoBody
from raportal.horizon_models import Team as TeamBody
from raportal.models import record
from triggers.definition import trigger_json
from triggers.models import Trigger

FORMAT = "raportal-config/1"
VOLATILE = ("creationDate", "lastAuthentication", "lastModification")


class ConfigError(Exception):
    """An object of the file that was refused: which one, and the problem (as the API words it)."""


def _actor() -> User:
    """The staff principal the import acts as (unsaved: audit events name no account)."""
    return get_user_model()(username="import_config", is_staff=True, is_superuser=True)


def _refused(kind: str, name: str, error: DomainError) -> ConfigError:
    return ConfigError(f"{kind} {name!r}: {error.detail}")


def apply(
    kind: str,
    name: str,
    body: dict[str, Any],
    current: dict[str, Any] | None,
    create: Callable[[], object],
    update: Callable[[], object],
) -> str:
    """Creates the object ``name`` (``current`` None), or updates it when it differs from
    ``body`` (an unchanged object is not written: no audit event, no new revision). Returns
    "created", "updated" or "unchanged"; a refusal is a ConfigError naming the object."""
    if current is not None and comparable(current) == comparable(body):
        return "unchanged"
    try:
        (create if current is None else update)()
    except DomainError as error:
        raise _refused(kind, name, error) from None
    return "created" if current is None else "updated"


def _existing[T](obj: T | None) -> T:
    """The object an ``update`` of ``apply`` acts on: ``apply`` updates only when ``current``
    is not None, that is when the object exists."""
    if obj is None:
        raise AssertionError("apply() updates only an object that exists")
    return obj


# What an answer carries that a configuration does not: ids, states, dates, the CA key (a
# connector's key matches its certificate, so the same certificate means the same key).
NOT_CONFIGURATION = {"_id", "status", "caKey", "caKeySealed", "members", *VOLATILE}


def comparable(value: Any) -> Any:
    """``value`` without what is not configuration, and with absent = null = empty."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            item = comparable(item)
            if key not in NOT_CONFIGURATION and item not in (None, [], {}):
                out[key] = item
        return out
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


def _strip(item: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in {"_id", *keys}}


def _key_context(name: str) -> str:
    return f"export:ca-key:{name}"


# --- export ---------------------------------------------------------------------------------


def export_config() -> dict[str, Any]:
    actor = _actor()
    config: dict[str, Any] = {"format": FORMAT}
    config["passwordPolicies"] = [
        policy.as_json() for policy in PasswordPolicy.objects.order_by("name")
    ]
    config["labels"] = [_strip(label_json(label)) for label in Label.objects.order_by("name")]
    config["teams"] = [
        {**_strip(team_json(team)), "members": _members(team)}
        for team in Team.objects.order_by("name").prefetch_related("managers", "members")
    ]
    # Every account, as a LocalIdentity (never a password: see the module's docstring).
    user_model = get_user_model()
    config["localIdentities"] = [
        _strip(identity_json(user)) for user in user_model.objects.order_by("username")
    ]
    config["principalInfos"] = [
        _strip(principal_json(user), *VOLATILE)
        for user in principal_accounts().order_by(user_model.USERNAME_FIELD)
    ]
    config["cas"] = [_ca_entry(ca_json(entry, actor)) for entry in visible_entries(actor)]
    issuers = CertificateAuthority.objects.exclude(sealed_key__isnull=True)
    connectors: list[dict[str, Any]] = []
    for ca in _parents_first(issuers):
        connector = _strip(connector_json(ca), "status")
        connector["caKeySealed"] = _sealed_key(ca)
        record(None, "ca.key.export", ca, name=ca.name, sealed=True, by="export_config")
        connectors.append(connector)
    config["connectors"] = connectors
    config["triggers"] = [_trigger_entry(t) for t in Trigger.objects.order_by("name")]
    config["profiles"] = [_strip(profile_json(p)) for p in profiles()]
    config["discoveryCampaigns"] = [
        _strip(campaign_json(c)) for c in DiscoveryCampaign.objects.all()
    ]
    config["teamGrants"] = [
        {
            "team": team.name,
            "profile": grant.profile.name,
            "workflow": grant.workflow,
            "level": grant.level,
        }
        for grant in Grant.objects.filter(team__isnull=False)
        .select_related("team", "profile")
        .order_by("team__name", "profile__name", "workflow")
        if (team := grant.team) is not None  # always: the filter's
    ]
    return config


def _members(team: Team) -> list[str]:
    return sorted(user.get_username() for user in team.members.all())


def _parents_first(queryset: QuerySet[CertificateAuthority]) -> list[CertificateAuthority]:
    cas = list(queryset.order_by("created_at", "pk"))
    done: set[int] = set()
    out: list[CertificateAuthority] = []
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


def _ca_entry(data: dict[str, Any]) -> dict[str, Any]:
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
    "triggers": "name",
    "profiles": "name",
    "discoveryCampaigns": "name",
    "principalInfos": "identifier",
    "teamGrants": "team",
}


def check_structure(config: object) -> None:
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


def import_config(config: dict[str, Any]) -> list[str]:
    """Applies ``config`` in one transaction; returns what was done, one line per object
    (created, updated or unchanged). Objects the file lists are made to match it, their
    members and grants included; objects it does not list are left alone. Raises
    ConfigError (nothing applied) when the file or a service refuses something."""
    check_structure(config)
    actor = _actor()
    done: list[str] = []
    username = get_user_model().USERNAME_FIELD

    def current[T: Model](section: str, queryset: QuerySet[T], field: str = "name") -> Current[T]:
        """The section's objects as they are now, read in one go (config_current.py)."""
        names = [item[SECTIONS[section]] for item in config.get(section, [])]
        return Current(queryset, field, names)

    with transaction.atomic():
        for policy in config.get("passwordPolicies", []):
            outcome = _apply_password_policy(actor, policy)
            done.append(f"password policy {policy['name']}: {outcome}")
        labels_now = current("labels", Label.objects.all())
        for label in config.get("labels", []):
            done.append(f"label {label['name']}: {_apply_label(actor, label, labels_now)}")
        accounts_now = current("localIdentities", get_user_model()._default_manager.all(), username)
        for identity in config.get("localIdentities", []):
            outcome = _apply_account(actor, identity, accounts_now)
            done.append(f"local identity {identity['identifier']}: {outcome}")
        teams_now = current("teams", Team.objects.prefetch_related("managers", "members"))
        for team in config.get("teams", []):
            done.append(f"team {team['name']}: {_apply_team(actor, team, teams_now)}")
        cas_now = current("cas", visible_entries(actor))
        for ca in config.get("cas", []):
            done.append(f"CA {ca['name']}: {_apply_ca(actor, ca, cas_now)}")
        connectors_now = current("connectors", CertificateAuthority.objects.issuers())
        for connector in config.get("connectors", []):
            outcome = _apply_connector(actor, connector, connectors_now)
            done.append(f"connector {connector['name']}: {outcome}")
        triggers_now = current("triggers", Trigger.objects.all())
        for item in config.get("triggers", []):  # before the profiles that list them
            done.append(f"trigger {item['name']}: {_apply_trigger(actor, item, triggers_now)}")
        profiles_now = current("profiles", profiles())
        for profile in config.get("profiles", []):
            outcome = _apply_profile(actor, profile, profiles_now)
            done.append(f"profile {profile['name']}: {outcome}")
        campaigns_now = current("discoveryCampaigns", DiscoveryCampaign.objects.all())
        for campaign in config.get("discoveryCampaigns", []):
            outcome = _apply_campaign(actor, campaign, campaigns_now)
            done.append(f"discovery campaign {campaign['name']}: {outcome}")
        # Principal infos name profiles and campaigns in their permissions: after them.
        principals_now = current("principalInfos", principal_accounts(), username)
        for principal in config.get("principalInfos", []):
            outcome = _apply_principal(actor, principal, principals_now)
            done.append(f"principal info {principal['identifier']}: {outcome}")
        for team, outcome in _apply_team_grants(actor, config.get("teamGrants", [])):
            done.append(f"grants of team {team}: {outcome}")
    return done


def _apply_label(actor: User, item: dict[str, Any], now: Current[Label]) -> str:
    name = item["name"]
    label = now.get(name)

    def texts() -> dict[str, str]:
        return label_texts(read_body(Document(item), LabelBody))

    outcome = apply(
        "label",
        name,
        item,
        label_json(label) if label else None,
        lambda: labels.create_label(actor, name=name, **texts()),
        lambda: labels.update_label(actor, _existing(label), **texts()),
    )
    return now.wrote(name, outcome)


def _apply_team(actor: User, item: dict[str, Any], now: Current[Team]) -> str:
    """The team as the file has it, its members included ("updated" when only they
    changed)."""
    name = item["name"]
    team = now.get(name)

    def fields() -> dict[str, Any]:
        return team_fields(read_body(Document(_strip(item, "members")), TeamBody))

    outcome = apply(
        "team",
        name,
        _strip(item, "members"),
        team_json(team) if team else None,
        lambda: teams.create_team(actor, name=name, **fields()),
        lambda: teams.update_team(actor, _existing(team), **fields()),
    )
    now.wrote(name, outcome)
    names = set(item.get("members") or [])
    if team is not None and outcome == "unchanged" and names == _members_of(team):
        return outcome  # what set_members would find: nothing to add or remove
    try:
        members = accounts_named(item.get("members") or [], "members")
        changed = teams.set_members(actor, Team.objects.get(name=name), members)
    except DomainError as error:
        raise _refused("team", name, error) from None
    return now.wrote(name, "updated" if changed and outcome == "unchanged" else outcome)


def _members_of(team: Team) -> set[str]:
    return {user.get_username() for user in team.members.all()}


def _apply_account(actor: User, identity: dict[str, Any], now: Current[User]) -> str:
    identifier = str(identity.get("identifier") or "")
    return now.wrote(identifier, _write_account(actor, identity, now.get(identifier)))


def _write_account(actor: User, identity: dict[str, Any], user: User | None) -> str:
    """The account named ``identifier`` with this e-mail and name; a new one has no password
    (an admin sets it, or it uses API keys). With a "password" (bootstrapping a fresh
    instance), an account without one gets it, through the password validators; an account
    that has one keeps it. Returns "created" (with no password), "updated" or
    "unchanged"."""
    identifier = str(identity.get("identifier") or "")
    email, name = identity.get("email") or "", identity.get("name") or ""
    password = identity.get("password")
    try:
        if user is None:
            if password:
                accounts.create_local_account(
                    actor, identifier=identifier, email=email, name=name, password=password
                )
                return "created"
            accounts.create_account(actor, identifier=identifier, email=email, name=name)
            return "created (no password yet)"
        wanted = copy.copy(user)
        accounts.set_email(wanted, email)
        accounts.set_name(wanted, name)
        changed = (wanted.email, wanted.first_name, wanted.last_name) != (
            user.email,
            user.first_name,
            user.last_name,
        )
        if changed:
            accounts.update_account(actor, user, email=email, name=name)
        # A bootstrap password, never over one the account has (the user may have changed it).
        if password and not user.has_usable_password():
            accounts.create_local_account(actor, identifier=identifier, password=password)
            return "updated"
    except DomainError as error:
        raise _refused("local identity", identifier, error) from None
    return "updated" if changed else "unchanged"


def _apply_password_policy(actor: User, policy: dict[str, Any]) -> str:
    try:
        _, outcome = save_password_policy(
            actor,
            name=policy["name"],
            min_length=policy.get("minChar", 12),
            max_length=policy.get("maxChar", 128),
            min_upper=policy.get("minUpChar", 1),
            min_lower=policy.get("minLoChar", 1),
            min_digits=policy.get("minDiChar", 1),
            min_special=policy.get("minSpChar", 0),
            special_chars=policy.get("spChar") or "!#$%&*+-=?@_~",
        )
    except DomainError as error:
        raise _refused("password policy", policy["name"], error) from None
    return outcome


def _apply_ca(actor: User, ca: dict[str, Any], now: Current[CaEntry]) -> str:
    """The entry named ``name`` with this certificate and these flags; flags the file
    leaves out take the defaults: the entry is made to match the file."""
    entry = now.get(ca["name"])
    if entry is not None and _ca_entry(ca_json(entry, actor)) == _ca_entry(_with_details(ca)):
        return "unchanged"
    document = Document({**CA_DEFAULTS, **ca})
    try:
        (add_entry if entry is None else change_entry)(actor, document)
    except DomainError as error:
        raise _refused("CA", ca["name"], error) from None
    return now.wrote(ca["name"], "created" if entry is None else "updated")


def _with_details(ca: dict[str, Any]) -> dict[str, Any]:
    """A file's entry in the API's answer shape (its certificate as ``{"pem": …}``), for
    comparing; flags it leaves out take the API's defaults, as a POST would."""
    certificate = ca.get("certificate")
    pem = certificate.get("pem") if isinstance(certificate, dict) else certificate
    return {**CA_DEFAULTS, **ca, "certificate": {"pem": _normalized_pem(pem)}}


def _normalized_pem(text: Any) -> str | None:
    try:
        certificate = x509.load_pem_x509_certificate(str(text).encode())
    except ValueError:
        return text
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _apply_connector(
    actor: User, connector: dict[str, Any], now: Current[CertificateAuthority]
) -> str:
    name = connector["name"]
    body = _strip(connector, "caKeySealed")
    sealed = connector.get("caKeySealed")
    if sealed and not body.get("caKey"):
        try:
            der = open_sealed(base64.b64decode(sealed), _key_context(name))
        except Exception:
            raise ConfigError(
                f"connector {name!r}: its sealed CA key does not open here (another RAPORTAL_KEK?)"
            ) from None
        key = serialization.load_der_private_key(der, None)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        body["caKey"] = {"value": pem}
    ca = now.get(name)
    outcome = apply(
        "connector",
        name,
        body,
        connector_json(ca) if ca else None,
        lambda: add_connector(actor, Document(body)),
        lambda: change_connector(actor, Document(body)),
    )
    return now.wrote(name, outcome)


# A trigger's header values and signing secret travel sealed under the KEK (as CA keys do):
# the file shows secret headers masked, and only a site with the same KEK can use them.
SEALED_TRIGGER_KEYS = ("headersSealed", "signingSecretSealed")


def _trigger_context(name: str, what: str) -> str:
    return f"export:trigger-{what}:{name}"


def _trigger_entry(trigger: Trigger) -> dict[str, Any]:
    entry = _strip(trigger_json(trigger))
    values = trigger.header_values()
    if values:
        blob = seal(json.dumps(values).encode(), _trigger_context(trigger.name, "headers"))
        entry["headersSealed"] = base64.b64encode(blob).decode()
    secret = trigger.signing_secret()
    if secret:
        blob = seal(secret.encode(), _trigger_context(trigger.name, "signing"))
        entry["signingSecretSealed"] = base64.b64encode(blob).decode()
    return entry


def _opened(item: dict[str, Any], key: str, what: str) -> str | None:
    if not item.get(key):
        return None
    try:
        blob = base64.b64decode(item[key], validate=True)
        return open_sealed(blob, _trigger_context(item["name"], what)).decode()
    except (ValueError, SecretBoxError) as exc:
        raise ConfigError(f"trigger {item['name']!r}: {key} does not open here: {exc}") from None


def _apply_trigger(actor: User, item: dict[str, Any], now: Current[Trigger]) -> str:
    name = item["name"]
    trigger = now.get(name)
    headers = _opened(item, "headersSealed", "headers")
    values = json.loads(headers) if headers is not None else None
    secret = _opened(item, "signingSecretSealed", "signing")
    document = Document({k: v for k, v in item.items() if k not in SEALED_TRIGGER_KEYS})
    body = read_trigger(document, document.data)
    current = trigger_json(trigger) if trigger else None
    if trigger is not None and (
        (values is not None and values != trigger.header_values())
        or (secret is not None and secret != trigger.signing_secret())
    ):
        current = {**(current or {}), "sealedValues": "changed"}  # differs: written again
    outcome = apply(
        "trigger",
        name,
        body,
        current,
        lambda: trigger_services.create_trigger(
            actor, body, header_values=values, signing_secret=secret
        ),
        lambda: trigger_services.update_trigger(
            actor, _existing(trigger), body, header_values=values, signing_secret=secret
        ),
    )
    return now.wrote(name, outcome)


def _apply_profile(actor: User, item: dict[str, Any], now: Current[Profile]) -> str:
    name = item["name"]
    profile = now.get(name)

    def source() -> HorizonProfile:
        return HorizonProfile(read_profile(Document(item)))

    outcome = apply(
        "profile",
        name,
        item,
        profile_json(profile) if profile else None,
        lambda: profile_services.create_profile(
            actor, name=name, source=source(), via="import_config"
        ),
        lambda: profile_services.update_profile(
            actor, _existing(profile), source=source(), via="import_config"
        ),
    )
    return now.wrote(name, outcome)


def _apply_campaign(actor: User, item: dict[str, Any], now: Current[DiscoveryCampaign]) -> str:
    name = item["name"]
    campaign = now.get(name)

    def data() -> CampaignData:
        document = Document(item)
        return campaign_data(document, read_body(document, CampaignBody))

    outcome = apply(
        "discovery campaign",
        name,
        item,
        campaign_json(campaign) if campaign else None,
        lambda: discovery_services.create_campaign(actor, data()),
        lambda: discovery_services.update_campaign(actor, name, data()),
    )
    return now.wrote(name, outcome)


def _apply_principal(actor: User, item: dict[str, Any], now: Current[User]) -> str:
    name = item["identifier"]
    user = now.get(name)

    def info() -> principals.PrincipalInfo:
        document = Document(item)
        return principal_info(document, read_body(document, PrincipalInfoBody))

    outcome = apply(
        "principal info",
        name,
        item,
        principal_json(user) if user else None,
        lambda: principals.create_principal_info(actor, identifier=name, info=info()),
        lambda: principals.update_principal_info(actor, _existing(user), info=info()),
    )
    return now.wrote(name, outcome)


def _apply_team_grants(actor: User, items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Each team named in the section gets exactly the grants listed for it; returns each
    team with "updated" or "unchanged". The teams, the profiles they name and their grants
    now are read in one go (config_current.py); set_team_grants is called for a team whose
    grants differ."""
    outcomes: list[tuple[str, str]] = []
    by_team: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_team.setdefault(item["team"], []).append(item)
    teams_now = Current(Team.objects.all(), "name", by_team)
    named = {name for item in items if isinstance(name := item.get("profile"), str)}
    profiles_now = Current(Profile.objects.all(), "name", named)
    granted: dict[int, set[tuple[int, str, str]]] = {}
    for grant in Grant.objects.filter(team__name__in=sorted(by_team)):
        if grant.team_id is not None:  # always: the filter's
            granted.setdefault(grant.team_id, set()).add(
                (grant.profile_id, grant.workflow, grant.level)
            )
    for team_name, team_items in by_team.items():
        team = teams_now.get(team_name)
        if team is None:
            raise ConfigError(f"team grants: no team {team_name!r}")
        wanted: list[tuple[Profile, str, str]] = []
        for item in team_items:
            profile_name = item.get("profile")
            profile = profiles_now.get(profile_name) if isinstance(profile_name, str) else None
            if profile is None:
                raise ConfigError(
                    f"team grants of {team_name!r}: no profile {item.get('profile')!r}"
                )
            if item.get("workflow") not in Workflow.values:
                raise ConfigError(
                    f"team grants of {team_name!r}: no workflow {item.get('workflow')!r}"
                )
            if item.get("level") not in GrantLevel.values:
                raise ConfigError(f"team grants of {team_name!r}: level is request or perform")
            wanted.append((profile, item["workflow"], item["level"]))
        if {(p.pk, workflow, level) for p, workflow, level in wanted} == granted.get(
            team.pk, set()
        ):
            outcomes.append((team_name, "unchanged"))  # what set_team_grants would find
            continue
        changed = grants.set_team_grants(actor, team, grants=wanted, by="import_config")
        outcomes.append((team_name, "updated" if changed else "unchanged"))
    return outcomes
