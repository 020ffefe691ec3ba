"""HCQL over the Certificate model: the fields a certificate search may name, and its sorts.

Horizon's names, with the API's camelCase names as aliases::

    id, dn, serial, issuer, profile, module, owner, team, holderid, contactemail, keytype,
    signingalgorithm, thumbprint, publickeythumbprint, revocation.reason      text (id: an id)
    valid.from (notBefore), valid.until (notAfter), revocation.date            dates
    status is [not] valid | revoked | expired
    certificate is [not] escrowed | selfsigned
    revoked equals true | false

``serial`` and the thumbprints are compared in lower-case hex without colons, however they are
written. ``valid``: not revoked and within its validity period; ``expired``: not revoked and
past its notAfter; ``revoked``: revoked, whatever its dates. Not supported: ``san``,
``label.*``, ``metadata.*`` (JSON lists SQLite cannot search), ``grade``, discovery fields.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from hrql.fields import (
    ChoiceField,
    DateField,
    IdField,
    TextField,
    boolean,
)

USERNAME = get_user_model().USERNAME_FIELD


class HexField(TextField):
    """Serials and thumbprints are stored as lower-case hex: "AB:CD" finds "abcd"."""

    def build(self, name, operator, value):
        def clean(text):
            return text.replace(":", "").replace(" ", "").lower()

        if isinstance(value, list):
            value = [clean(v) for v in value]
        elif value is not None:
            value = clean(value)
        return super().build(name, operator, value)


def _revoked() -> Q:
    return Q(revocation_date__isnull=False)


def _valid() -> Q:
    now = timezone.now()
    return Q(revocation_date__isnull=True, not_before__lte=now, not_after__gt=now)


def _expired() -> Q:
    return Q(revocation_date__isnull=True, not_after__lte=timezone.now())


CERTIFICATE_FIELDS = {
    "id": IdField("pk"),
    "_id": IdField("pk"),
    "dn": TextField("dn"),
    "serial": HexField("serial"),
    "issuer": TextField("issuer"),
    "profile": TextField("profile__name"),
    "module": TextField("module"),
    "owner": TextField(f"owner__{USERNAME}"),
    "team": TextField("team__name"),
    "holderid": TextField("holder_id"),
    "contactemail": TextField("contact_email"),
    "keytype": TextField("key_type"),
    "signingalgorithm": TextField("signing_algorithm"),
    "thumbprint": HexField("thumbprint"),
    "publickeythumbprint": HexField("public_key_thumbprint"),
    "valid.from": DateField("not_before"),
    "notbefore": DateField("not_before"),
    "valid.until": DateField("not_after"),
    "notafter": DateField("not_after"),
    "revocation.date": DateField("revocation_date"),
    "revocationdate": DateField("revocation_date"),
    "revocation.reason": TextField("revocation_reason"),
    "revocationreason": TextField("revocation_reason"),
    "status": ChoiceField({"valid": _valid, "revoked": _revoked, "expired": _expired}),
    "revoked": boolean(_revoked),
    "certificate": ChoiceField(
        {
            "escrowed": lambda: Q(escrowed_key__isnull=False),
            "selfsigned": lambda: Q(self_signed=True),
        }
    ),
}

CERTIFICATE_SORTS = {
    "_id": "pk",
    "module": "module",
    "profile": "profile__name",
    "owner": f"owner__{USERNAME}",
    "team": "team__name",
    "dn": "dn",
    "serial": "serial",
    "issuer": "issuer",
    "notBefore": "not_before",
    "notAfter": "not_after",
    "revocationDate": "revocation_date",
    "revocationReason": "revocation_reason",
    "keyType": "key_type",
    "signingAlgorithm": "signing_algorithm",
    "holderId": "holder_id",
    "contactEmail": "contact_email",
    "thumbprint": "thumbprint",
    "publicKeyThumbprint": "public_key_thumbprint",
    "selfSigned": "self_signed",
}
DEFAULT_CERTIFICATE_ORDER = ["-not_before", "-pk"]
