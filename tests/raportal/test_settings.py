"""Production settings refuse the development secrets."""

import os
import subprocess
import sys

import pytest

DEV_KEK = "cmFwb3J0YWwtZGV2LWtlay1ub3QtZm9yLXByb2QhISE="


def settings_load(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RAPORTAL_"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "raportal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD = {
    "DJANGO_SECRET_KEY": "x" * 50,
    "RAPORTAL_KEK": "dGVzdC1vbmx5LWtlay0wMTIzNDU2Nzg5YWJjZGVmZ2g=",
    "DJANGO_ALLOWED_HOSTS": "ra.example.com",
    "RAPORTAL_BASE_URL": "https://ra.example.com",
    "RAPORTAL_ALLOW_SQLITE": "1",  # DEBUG off refuses SQLite otherwise (see test_serving.py)
}


def test_production_settings_load_with_real_secrets():
    result = settings_load(**GOOD)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"RAPORTAL_KEK": DEV_KEK}, "RAPORTAL_KEK"),
        ({"RAPORTAL_KEK": "c2hvcnQ="}, "32 bytes"),
        ({"RAPORTAL_KEK": "not base64!"}, "base64"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
        ({"RAPORTAL_BASE_URL": "ftp://x"}, "RAPORTAL_BASE_URL"),
        ({"RAPORTAL_BASE_URL": ""}, "RAPORTAL_BASE_URL"),
    ],
)
def test_production_settings_refuse_unsafe_values(override, message):
    env = {**GOOD, **override}
    env = {k: v for k, v in env.items() if v != ""}  # "" stands for "not set"
    result = settings_load(**env)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr, result.stderr
    assert message in result.stderr


def test_debug_mode_runs_with_the_development_defaults():
    result = settings_load(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
