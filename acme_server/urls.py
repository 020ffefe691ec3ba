"""ACME under /acme/<profile>/ (RFC 8555 §7.1.1: the directory names every other URL)."""

from django.urls import path

from acme_server import views

PREFIX = "acme/<slug:profile>/"

urlpatterns = [
    path(PREFIX + "directory", views.directory, name="acme-directory"),
    path(PREFIX + "new-nonce", views.new_nonce_view, name="acme-new-nonce"),
    path(PREFIX + "new-account", views.new_account, name="acme-new-account"),
    path(PREFIX + "new-order", views.new_order, name="acme-new-order"),
    path(PREFIX + "revoke-cert", views.revoke_cert, name="acme-revoke-cert"),
    path(PREFIX + "key-change", views.key_change, name="acme-key-change"),
    path(PREFIX + "account/<int:account_id>", views.account_view, name="acme-account"),
    path(
        PREFIX + "account/<int:account_id>/orders",
        views.account_orders,
        name="acme-account-orders",
    ),
    path(PREFIX + "order/<str:order_id>", views.order_view, name="acme-order"),
    path(PREFIX + "order/<str:order_id>/finalize", views.finalize, name="acme-finalize"),
    path(PREFIX + "certificate/<str:order_id>", views.certificate, name="acme-certificate"),
    path(
        PREFIX + "certificate/<str:order_id>/with-root",
        views.certificate,
        {"with_root": True},
        name="acme-certificate-with-root",
    ),
    path(PREFIX + "authz/<str:authz_id>", views.authorization, name="acme-authorization"),
    path(PREFIX + "challenge/<str:challenge_id>", views.challenge, name="acme-challenge"),
]
