"""What the trigger tests share: a real SMTP server that keeps what it receives (aiosmtpd),
the portal's mail pointed at it, webhooks allowed to reach the local receiver
(pytest-httpserver), and triggers created through the admin API."""

import email
import ipaddress
import socket
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import Api
from tests.factories import UserFactory


class Sink:
    def __init__(self):
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    def matching(self, prefix: str) -> list[Message]:
        return [m for m in self.messages if str(m["Subject"]).startswith(prefix)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def loopback_allowed(settings):
    settings.RAPORTAL_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.fixture
def staff(db):
    return UserFactory(username="admin", is_staff=True)


@pytest.fixture
def staff_api(staff):
    return Api(staff)


def email_trigger(name: str, event: str, *, title: str, to=None, **extra) -> dict:
    return {
        "name": name,
        "type": "email",
        "events": [event],
        "retries": 2,
        "emailTemplate": {
            "to": to or [{"type": "static", "email": "pki-team@example.com"}],
            "from": "RA Portal",
            "title": title,
            "body": "Request {{request.id}} on {{profile.name}}: {{request.dn}}\n"
            "Certificate {{certificate.serial}} expires {{certificate.notAfter}}\n",
            "isHtml": False,
        },
        **extra,
    }


def rest_trigger(name: str, event: str, url: str, **extra) -> dict:
    return {
        "name": name,
        "type": "rest",
        "events": [event],
        "retries": 3,
        "sequence": [
            {
                "method": "POST",
                "url": url,
                "headers": [
                    {"name": "Authorization", "value": "Bearer hook-token-1234567890"},
                    {"name": "X-Source", "value": "ra-portal"},
                ],
                "payloadType": "json",
                "payload": '{"request": "{{request.id}}", "dn": "{{request.dn}}", '
                '"event": "{{event}}"}',
                "expectedHttpCodes": [200],
                "timeout": "5 seconds",
            }
        ],
        **extra,
    }


@pytest.fixture
def create_trigger(staff_api):
    def make(body: dict) -> dict:
        status, answer = staff_api.post("/api/v1/triggers", body)
        assert status == 201, answer
        return answer

    return make
