"""The directory's admin pages: home, teams, accounts and API keys, labels, discovery
campaigns, the audit log, and a profile's grants."""

from django.urls import path

from administration.pages import accounts, audit, discovery, grants, home, labels, teams

urlpatterns = [
    path("", home.home, name="admin-home"),
    path("teams/", teams.team_list, name="admin-team-list"),
    path("teams/new/", teams.team_create, name="admin-team-create"),
    path("teams/<slug:name>/", teams.team_edit, name="admin-team-edit"),
    path("teams/<slug:name>/delete/", teams.team_delete, name="admin-team-delete"),
    path("accounts/", accounts.account_list, name="admin-account-list"),
    path("accounts/<int:user_id>/", accounts.account_detail, name="admin-account-detail"),
    path("accounts/<int:user_id>/keys/", accounts.key_create, name="admin-account-key-create"),
    path(
        "accounts/<int:user_id>/keys/<int:key_id>/revoke/",
        accounts.key_revoke,
        name="admin-account-key-revoke",
    ),
    path("accounts/<int:user_id>/password/", accounts.password, name="admin-account-password"),
    path("accounts/<int:user_id>/active/", accounts.set_active, name="admin-account-active"),
    path("labels/", labels.label_list, name="admin-label-list"),
    path("labels/new/", labels.label_create, name="admin-label-create"),
    path("labels/<slug:name>/", labels.label_edit, name="admin-label-edit"),
    path("labels/<slug:name>/delete/", labels.label_delete, name="admin-label-delete"),
    path("discovery/", discovery.campaign_list, name="admin-campaign-list"),
    path("discovery/new/", discovery.campaign_create, name="admin-campaign-create"),
    path("discovery/<slug:name>/", discovery.campaign_edit, name="admin-campaign-edit"),
    path(
        "discovery/<slug:name>/enabled/", discovery.campaign_enabled, name="admin-campaign-enabled"
    ),
    path("discovery/<slug:name>/flush/", discovery.campaign_flush, name="admin-campaign-flush"),
    path("discovery/<slug:name>/delete/", discovery.campaign_delete, name="admin-campaign-delete"),
    path("audit/", audit.audit_log, name="admin-audit"),
    path("audit/export.jsonl", audit.audit_export, name="admin-audit-export"),
    path("audit/verify/", audit.audit_verify, name="admin-audit-verify"),
    path("profiles/<slug:name>/grants/", grants.profile_grants, name="admin-profile-grants"),
]
