"""What the ACME tests share: ACME profiles like the demo's, certbot run in a temporary
directory against a live portal, and free loopback ports for its standalone server."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from profiles.models import SanRule, SubjectRule
from tests.factories import ProfileFactory

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def acme_profile(pki, name: str, **fields):
    profile = ProfileFactory(
        name=name,
        module="acme",
        ca=pki["issuing"],
        validity_days=90,
        escrow=False,
        rules=False,
        allow_wildcards=True,
        ocsp_in_aia=True,
        **fields,
    )
    SubjectRule.objects.create(profile=profile, element="cn.1", mandatory=False, position=0)
    SanRule.objects.create(
        profile=profile, san_type="DNSNAME", min=1, max=100, regex=r"^(\*\.)?[a-z0-9.-]+\.test$"
    )
    return profile


@pytest.fixture
def acme_demo(pki):
    return acme_profile(pki, "acme-demo", acme_unbound_level="perform")


@pytest.fixture
def acme_eab(pki):
    return acme_profile(pki, "acme-eab", acme_eab_required=True, acme_unbound_level="")


@pytest.fixture
def http01_port(settings):
    """certbot's standalone server answers http-01 here; every name resolves to loopback."""
    port = free_port()
    settings.RAPORTAL_ACME_HTTP_PORT = port
    settings.RAPORTAL_ACME_RESOLVE = {"*": "127.0.0.1"}
    return port


def certbot(folder: Path, *arguments: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """certbot with its configuration, work and logs in ``folder`` (never the system's)."""
    folder.mkdir(exist_ok=True)
    return subprocess.run(
        [str(BIN / "certbot"), "--non-interactive",
         "--config-dir", str(folder / "config"), "--work-dir", str(folder / "work"),
         "--logs-dir", str(folder / "logs"), *arguments],
        capture_output=True, text=True, timeout=timeout, cwd=folder,
    )  # fmt: skip


def explain(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
