"""Triggers travel in the configuration file (export_config / import_config): secret header
values and the signing secret sealed under the KEK, the profile's triggers with them; applying
the same file again changes nothing."""

import json

import pytest
from django.core.management import call_command

from administration.config_io import export_config, import_config
from tests.triggers.conftest import email_trigger, rest_trigger
from triggers.models import Trigger

pytestmark = pytest.mark.django_db(transaction=True)


def test_triggers_survive_an_export_and_an_import_into_an_empty_database(create_trigger, profile):
    create_trigger(email_trigger("mail", "on_submit_enroll", title="Waiting: {{request.dn}}"))
    secret = create_trigger(rest_trigger("hook", "on_enroll", "https://hooks.example.org/ra"))[
        "signingSecret"
    ]
    profile.triggers = {"onSubmitEnroll": ["mail"], "onEnroll": ["hook"]}
    profile.save()
    config = export_config()
    text = json.dumps(config)
    assert "hook-token" not in text and secret not in text  # sealed, never in clear

    call_command("flush", interactive=False, verbosity=0)
    assert not Trigger.objects.exists()
    done = import_config(config)
    assert "trigger hook: created" in done and "trigger mail: created" in done, done

    hook = Trigger.objects.get(name="hook")
    assert hook.header_values() == ["Bearer hook-token-1234567890", "ra-portal"]
    assert hook.signing_secret() == secret
    assert Trigger.objects.get(name="mail").definition["emailTemplate"]["title"] == (
        "Waiting: {{request.dn}}"
    )
    from profiles.models import Profile

    assert Profile.objects.get(name="webra-demo").triggers == {
        "onSubmitEnroll": ["mail"],
        "onEnroll": ["hook"],
    }
    assert "trigger hook: unchanged" in import_config(export_config())
