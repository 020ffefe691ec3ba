"""Factories for the three principals, teams, profiles with template rules, and CSRs."""

import factory
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from django.contrib.auth import get_user_model

from certificates.pki import names
from certificates.pki.keys import generate_private_key
from profiles.models import Grant, Label, LabelRule, Profile, SanRule, SubjectRule, Team
from raportal.models import ApiCredential


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pw-for-tests-123")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"team{n}")


def api_key_for(user, key: str | None = None) -> str:
    """The user's API key (``<username>-key`` unless given); one credential per user."""
    credential = ApiCredential.objects.filter(api_id=user.username).first() or ApiCredential(
        api_id=user.username, user=user
    )
    key = credential.set_key(key or f"{user.username}-key")
    credential.save()
    return key


class ProfileFactory(factory.django.DjangoModelFactory):
    """A webra profile like the demo one: cn.1 mandatory, o/ou/c optional, DNS/IP/email SANs,
    label env ∈ {dev, staging, prod}."""

    class Meta:
        model = Profile
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"profile-{n}")
    module = "webra"
    ca = None  # required: pass the issuing CA
    validity_days = 365
    extended_key_usages = factory.LazyFunction(lambda: ["serverAuth", "clientAuth"])
    authorized_key_types = factory.LazyFunction(
        lambda: ["rsa-2048", "rsa-3072", "ec-secp256r1", "ec-secp384r1", "ed-25519"]
    )
    default_key_type = "ec-secp256r1"
    escrow = True
    p12_password_mode = "manual"

    @factory.post_generation
    def rules(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for position, (element, mandatory, regex) in enumerate(
            [
                ("cn.1", True, ""),
                ("o.1", False, ""),
                ("ou.1", False, ""),
                ("c.1", False, "^[A-Z]{2}$"),
            ]
        ):
            SubjectRule.objects.create(
                profile=self, element=element, mandatory=mandatory, regex=regex, position=position
            )
        for san_type, maximum in [("DNSNAME", 5), ("IPADDRESS", 2), ("RFC822NAME", 2)]:
            SanRule.objects.create(profile=self, san_type=san_type, min=0, max=maximum)
        Label.objects.get_or_create(name="env")  # the catalogue the rule refers to
        LabelRule.objects.create(profile=self, label="env", enum=["dev", "staging", "prod"])


def grant(profile, principal, level: str, workflow: str = "enroll") -> Grant:
    if isinstance(principal, Team):
        return Grant.objects.create(profile=profile, workflow=workflow, level=level, team=principal)
    return Grant.objects.create(profile=profile, workflow=workflow, level=level, user=principal)


def make_csr(
    key_type: str = "ec-secp256r1",
    subject: list[tuple[str, str]] | None = None,
    sans: list[tuple[str, str]] | None = None,
    key=None,
) -> tuple[str, object]:
    """A PEM CSR and its private key."""
    key = key or generate_private_key(key_type)
    name = names.build_name(subject if subject is not None else [("cn.1", "csr.example.com")])
    builder = x509.CertificateSigningRequestBuilder().subject_name(name)
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([names.general_name(t, v) for t, v in sans]),
            critical=False,
        )
    algorithm = None if key_type.startswith("ed-") else hashes.SHA256()
    csr = builder.sign(key, algorithm)
    return csr.public_bytes(Encoding.PEM).decode(), key
