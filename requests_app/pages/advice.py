"""Advice for a requester who is not a PKI expert: pure functions, no database, so that each
rule of thumb can be tested on its own. The services still decide; these only explain
(errors the form raises before asking them, warnings that never block)."""

from urllib.parse import urlsplit

from certificates.pki import names
from certificates.pki.idn import a_label_form
from certificates.pki.invisible import check_visible

# --- DNS names ---------------------------------------------------------------------------


def looks_like_url(value: str) -> bool:
    """``https://www.example.com/login`` typed where a host name is expected."""
    lowered = value.strip().lower()
    return lowered.startswith(("http://", "https://")) or "/" in lowered


def url_message(value: str) -> str:
    """What to type instead of a URL: the host name alone (RFC 5280 §4.2.1.6: a dNSName is
    a host name, never a URL)."""
    text = value.strip()
    parts = urlsplit(text if "//" in text else f"//{text}")
    remove: list[str] = []
    if parts.scheme:
        remove.append(f"'{parts.scheme}://'")
    if parts.username is not None:
        remove.append("the user name")
    if parts.netloc.rpartition("@")[2].count(":") == 1:
        remove.append("the port")
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith("/"):
        remove.append("the path")
    host = parts.hostname or ""
    example = host if host and "." in host and "/" not in host else "www.example.com"
    remove = remove or ["the path"]
    what = ", ".join(remove[:-1]) + " and " + remove[-1] if len(remove) > 1 else remove[0]
    return f"Enter only the host name: remove {what} (e.g. {example})"


def idn_message(value: str) -> str:
    """The service accepts only ASCII DNS names: say which form to type instead."""
    encoded = a_label_form(value)
    if encoded:
        return (
            f"Write an internationalized name in its ASCII form: enter {encoded} "
            "(this is how the certificate will write it)."
        )
    return (
        "This name has non-ASCII characters: write it in its ASCII form (xn--…), as your "
        "DNS administrator registered it."
    )


def dns_value_error(value: str) -> str | None:
    """An error for a DNS name the form can explain better than the services, else None."""
    if not value or not value.strip():
        return None
    if looks_like_url(value):
        return url_message(value)
    if not value.isascii():
        try:
            check_visible(value, "This name")
        except ValueError as exc:
            return str(exc)
        return idn_message(value)
    return None


def host_name(value: str) -> str | None:
    """``value`` as a fully qualified DNS name (lower case, no trailing dot) if it is one,
    else None."""
    try:
        return names.normalize_dns_name(value or "", allow_wildcard=True)
    except ValueError:
        return None


def single_label_names(dns_names: list[str]) -> list[str]:
    """Advice on DNS names of one label (``intranet``): the profile accepts them, but a
    certificate for a host that also has a domain should carry host.domain, the name clients
    usually connect with."""
    notes = []
    for name in dns_names:
        value = (name or "").strip().rstrip(".")
        if value and "." not in value and value != "*":
            try:
                names.normalize_dns_name(value, fully_qualified=False)
            except ValueError:
                continue
            notes.append(
                f"{value} is a single-label name: clients that connect with host.domain will "
                "not match it; add the fully qualified name too if the host has one."
            )
    return notes


# --- warnings on the certificate to be ---------------------------------------------------


def cn_not_in_dns_names(cn: str, dns_names: list[str], *, dns_allowed: bool) -> str | None:
    """Browsers match a server name against the DNS SANs only (CA/B Forum Baseline
    Requirements; RFC 6125 §6.4.4 makes the CN a fallback that browsers dropped): a host
    name in the CN alone makes a certificate no browser accepts."""
    if not dns_allowed:
        return None
    host = host_name(cn)
    if host is None:
        return None
    if host in {host_name(name) or name.lower() for name in dns_names}:
        return None
    return f"Browsers ignore the Common Name: add {host} as a DNS name."


def element_name(element: str) -> str:
    """``cn.1`` → ``CN``, ``ou.2`` → ``OU #2``."""
    try:
        dn_type, index = names.parse_element(element)
    except ValueError:
        return element
    return dn_type.short if index == 1 else f"{dn_type.short} #{index}"


def _same(san_type: str, a: str, b: str) -> bool:
    def canonical(value):
        try:
            return names.normalize_san(san_type, value, allow_wildcard=True)
        except ValueError:
            return value.strip()

    return canonical(a) == canonical(b)


def csr_conflicts(
    form_subject: dict[str, str],
    form_sans: dict[str, list[str]],
    csr_subject: dict[str, str],
    csr_sans: dict[str, list[str]],
) -> list[str]:
    """Where the form and the CSR disagree, and which one the certificate takes.

    The enroll service (requests_app/workflows/requested_template.check_for_requester) reads
    the CSR's subject only when the submission has no subject at all, and its SANs only when
    the submission has no SANs: as soon as the requester fills one subject field, the form's
    subject is used as a whole, and the same for alternative names. Arguments are what the
    requester may set (editable elements, SAN types): element → value, SAN type → values."""
    notes = []
    if form_subject and csr_subject:
        for element, csr_value in csr_subject.items():
            name = element_name(element)
            typed = form_subject.get(element)
            if not typed:
                notes.append(
                    f"Your CSR asks for {name}={csr_value} but the form leaves {name} blank; "
                    f"the certificate will not have it: once you fill a name of the subject, "
                    f"the form's subject is used and the CSR's is ignored."
                )
            elif " ".join(typed.split()) != " ".join(csr_value.split()):
                notes.append(
                    f"Your CSR asks for {name}={csr_value} but the form says {typed}; "
                    f"the certificate will use the form's {name}={typed}."
                )
    if any(form_sans.values()) and any(csr_sans.values()):
        for san_type, csr_values in csr_sans.items():
            if not csr_values:
                continue
            label = names.SAN_LABELS.get(san_type, san_type)
            typed_values = form_sans.get(san_type) or []
            in_csr = ", ".join(csr_values)
            if not typed_values:
                notes.append(
                    f"Your CSR asks for {label} {in_csr} but the form gives none; the "
                    f"certificate will not have it: once you fill an alternative name, the "
                    f"form's are used and the CSR's are ignored."
                )
            elif len(typed_values) != len(csr_values) or not all(
                any(_same(san_type, a, b) for b in typed_values) for a in csr_values
            ):
                notes.append(
                    f"Your CSR asks for {label} {in_csr} but the form says "
                    f"{', '.join(typed_values)}; the certificate will use the form's."
                )
    return notes


# --- PKCS#12 password ----------------------------------------------------------------------


def _count(number: int, what: str) -> str:
    return f"{number} {what}{'' if number == 1 else 's'}"


def password_policy_text(policy) -> str:
    """A PasswordPolicy (profiles.models) in words, e.g. "At least 12 characters, with at
    least 1 upper-case letter, 1 lower-case letter and 1 digit." """
    needs = [
        _count(number, what)
        for number, what in (
            (policy.min_upper, "upper-case letter"),
            (policy.min_lower, "lower-case letter"),
            (policy.min_digits, "digit"),
            (policy.min_special, "special character"),
        )
        if number
    ]
    if policy.min_special and policy.special_chars:
        needs[-1] += f" among {policy.special_chars}"
    text = f"At least {policy.min_length} characters"
    if policy.max_length:
        text += f" ({policy.max_length} at most)"
    if needs:
        listed = needs[0] if len(needs) == 1 else ", ".join(needs[:-1]) + " and " + needs[-1]
        text += f", with at least {listed}"
    return text + "."
