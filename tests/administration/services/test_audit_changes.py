"""Administration writes record what they changed as before → after (the detail's
``changes``, raportal/audit_changes.py), which the audit page shows; the chain still verifies."""

from administration.services import accounts, labels, profiles, teams
from discovery.services import create_campaign, update_campaign
from discovery.validation import CampaignData
from profiles.models import Profile
from raportal.events import verify_events
from raportal.models import AuditEvent
from tests.factories import ProfileFactory, UserFactory


def last(action: str) -> dict:
    return AuditEvent.objects.filter(action=action).order_by("-sequence").first().detail


def test_a_team_update_records_its_fields_and_managers_before_and_after(admin):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    team = teams.create_team(admin, name="web", display_name="Web", managers=[alice])
    teams.update_team(
        admin,
        team,
        display_name="Web servers",
        description="",
        contact_email="web@example.com",
        managers=[alice, bob],
    )
    assert last("team.update")["changes"] == {
        "display_name": ["Web", "Web servers"],
        "contact_email": ["", "web@example.com"],
        "managers": [["alice"], ["alice", "bob"]],
    }
    assert verify_events().ok


def test_an_update_that_changes_nothing_records_no_changes(admin):
    label = labels.create_label(admin, name="env", display_name="Environment")
    labels.update_label(admin, label, display_name="Environment", description="")
    assert "changes" not in last("label.update")


def test_a_label_rename_records_the_old_and_new_names(admin):
    label = labels.create_label(admin, name="env", display_name="Environment")
    labels.update_label(admin, label, name="stage", display_name="Stage", description="")
    assert last("label.update")["changes"] == {
        "name": ["env", "stage"],
        "display_name": ["Environment", "Stage"],
    }


def test_an_account_update_records_the_e_mail_before_and_after(admin):
    someone = UserFactory(username="someone", email="old@example.com")
    accounts.update_account(admin, someone, email="new@example.com")
    assert last("localidentity.update")["changes"] == {
        "email": ["old@example.com", "new@example.com"]
    }


def test_disabling_a_profile_records_enabled_before_and_after(admin, pki):
    profile = ProfileFactory(name="web", ca=pki["issuing"])
    profiles.set_profile_enabled(admin, profile, enabled=False)
    assert last("profile.disable")["changes"] == {"enabled": [True, False]}


class Source:
    """A profile source that changes a few fields and one rule, as the editor would."""

    def write(self, profile):
        profile.validity_days = 90
        profile.display_name = "Web servers"
        profile.save()
        rule = profile.subject_rules.get(element="cn.1")
        rule.regex = r"[a-z.]+"
        rule.save()
        return profile, []


def test_a_profile_update_records_its_fields_and_rules_before_and_after(admin, pki):
    profile = ProfileFactory(name="web", ca=pki["issuing"], validity_days=365)
    profiles.update_profile(admin, Profile.objects.get(pk=profile.pk), source=Source())
    changes = last("profile.update")["changes"]
    assert changes["validity_days"] == [365, 90], changes
    assert changes["display_name"] == ["", "Web servers"], changes
    before, after = changes["subject_rules"]
    assert [line for line in after if line not in before] == [
        next(line for line in after if "element=cn.1" in line)
    ], changes
    assert "regex=[a-z.]+" in next(line for line in after if "element=cn.1" in line)
    assert set(changes) == {"validity_days", "display_name", "subject_rules"}, changes
    assert verify_events().ok


def test_a_campaign_update_records_its_hosts_before_and_after(admin):
    create_campaign(admin, CampaignData(name="lan", hosts=["10.0.0.1"]))
    update_campaign(admin, "lan", CampaignData(name="lan", hosts=["10.0.0.1", "10.0.0.2"]))
    assert last("campaign.update")["changes"] == {"hosts": [["10.0.0.1"], ["10.0.0.1", "10.0.0.2"]]}
