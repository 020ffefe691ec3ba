"""What the discovery tests share: campaigns, certificates found on hosts, feed bodies."""

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from discovery.models import CampaignPermission, DiscoveryCampaign

FEED = "/api/v1/discovery/feed"


def make_campaign(name: str = "Ansible", **fields) -> DiscoveryCampaign:
    return DiscoveryCampaign.objects.create(name=name, **fields)


def give(user, campaign: DiscoveryCampaign, right: str) -> CampaignPermission:
    return CampaignPermission.objects.create(user=user, campaign=campaign, right=right)


def self_signed(cn: str = "found.example.com", *, key=None, ca: bool = False, sans=None):
    """A self-signed certificate as a scanner finds one on a host: (PEM, key PEM, key)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName(sans or [x509.DNSName(cn)]), critical=False)
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    certificate = builder.sign(key, hashes.SHA256())
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key_pem, key


def feed_body(pem: str, campaign: str = "Ansible", ip: str | None = "0.0.0.1", **host) -> dict:
    """What the Ansible collection's horizon_feed sends (plugin_utils/horizon.py feed())."""
    return {
        "campaign": campaign,
        "certificate": pem,
        "hostDiscoveryData": {
            "ip": ip,
            "hostnames": host.get("hostnames"),
            "operatingSystems": host.get("operatingSystems"),
            "paths": host.get("paths"),
            "usages": host.get("usages"),
        },
    }
