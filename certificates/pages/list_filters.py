"""What narrows the certificate list beyond its search and status — the filters the home
dashboard's charts link to: whose certificates (``scope``), a profile, a module (the protocol
that brought them), and the days they were issued or expire."""

import datetime as dt
from dataclasses import dataclass

from certificates.models import Certificate, CertificateQuerySet
from raportal.callers import Principal

# "mine": the user's and their teams' (the list's default); "all": every certificate the
# access policy lets them see (an administrator: all of them).
SCOPES = ("mine", "all")
NO_PROFILE = "~"  # the profile filter's value for certificates on no profile (not a slug)
FIELDS = ("scope", "profile", "module", "issued_from", "issued_to", "expires_from", "expires_to")


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass(frozen=True)
class ListFilters:
    scope: str = "mine"
    profile: str = ""
    module: str = ""
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    expires_from: dt.date | None = None
    expires_to: dt.date | None = None

    @classmethod
    def read(cls, value) -> "ListFilters":
        """From the list's query form (``value(name)`` gives "" for what is absent or
        unreadable); a date that is no ISO date is ignored."""
        scope = value("scope") if value("scope") in SCOPES else "mine"
        return cls(
            scope=scope,
            profile=value("profile").strip(),
            module=value("module").strip(),
            issued_from=_date(value("issued_from")),
            issued_to=_date(value("issued_to")),
            expires_from=_date(value("expires_from")),
            expires_to=_date(value("expires_to")),
        )

    def base(self, user: Principal) -> CertificateQuerySet:
        if self.scope == "all":
            return Certificate.objects.visible_to(user)
        return Certificate.objects.owned_by(user)

    def apply(self, certificates: CertificateQuerySet) -> CertificateQuerySet:
        if self.profile == NO_PROFILE:
            certificates = certificates.filter(profile__isnull=True)
        elif self.profile:
            certificates = certificates.filter(profile__name=self.profile)
        if self.module:
            certificates = certificates.filter(module=self.module)
        if self.issued_from or self.issued_to:
            certificates = certificates.issued_between(self.issued_from, self.issued_to)
        if self.expires_from or self.expires_to:
            certificates = certificates.expiring_between(self.expires_from, self.expires_to)
        return certificates

    def shown(self) -> list[tuple[str, str]]:
        """The filters in force beyond the scope, as the page lists them."""
        shown = []
        if self.profile:
            shown.append(("Profile", "(none)" if self.profile == NO_PROFILE else self.profile))
        if self.module:
            shown.append(("Protocol", self.module))
        for label, first, last in (
            ("Issued", self.issued_from, self.issued_to),
            ("Expires, unless revoked", self.expires_from, self.expires_to),
        ):
            if first or last:
                shown.append((label, _span(first, last)))
        return shown

    def params(self) -> dict[str, str]:
        """The query string parameters in force (the search form carries them along)."""
        params = {name: getattr(self, name) for name in FIELDS}
        if params["scope"] == "mine":
            params["scope"] = None
        return {name: str(value) for name, value in params.items() if value}


def _span(first: dt.date | None, last: dt.date | None) -> str:
    if first == last:
        return str(first)
    if first and last:
        return f"{first} to {last}"
    return f"from {first}" if first else f"until {last}"
