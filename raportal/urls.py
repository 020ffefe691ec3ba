from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from certificates import api as ca_api
from certificates import ocsp_view
from certificates import read_api as certificate_read_api
from certificates import trigger_api as certificate_trigger_api
from discovery.api import DiscoveryFeedView
from profiles.api.password_policies import GeneratePasswordView
from profiles.api.principals import PrincipalSelfView
from raportal import health
from raportal.security import api_docs_view
from raportal.throttling import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm
from requests_app.api import read_views as request_read_api
from requests_app.api import trigger_run as request_trigger_api
from requests_app.api import views as request_api
from requests_app.pages.home import home

api_v1 = [
    path("api/v1/requests/submit", request_api.SubmitView.as_view(), name="api-submit"),
    path("api/v1/requests/approve", request_api.ApproveView.as_view(), name="api-approve"),
    path("api/v1/requests/deny", request_api.DenyView.as_view(), name="api-deny"),
    path("api/v1/requests/cancel", request_api.CancelView.as_view(), name="api-cancel"),
    path("api/v1/requests/template", request_api.TemplateView.as_view(), name="api-template"),
    # --- read-side API (search, profiles, certificates, compatibility) ---
    # Before api/v1/requests/<text:request_id>, which would swallow "search" and "profiles".
    path(
        "api/v1/requests/search",
        request_read_api.RequestSearchView.as_view(),
        name="api-request-search",
    ),
    path(
        "api/v1/requests/profiles",
        request_read_api.RequestableProfilesView.as_view(),
        name="api-request-profiles",
    ),
    path(
        "api/v1/certificates/search",
        certificate_read_api.CertificateSearchView.as_view(),
        name="api-certificate-search",
    ),
    path(
        "api/v1/requests/run/<text:request_id>/<text:name>/<text:event>",
        request_trigger_api.RequestTriggerRunView.as_view(),
        name="api-request-trigger-run",
    ),
    path(
        "api/v1/certificates/run/<uuid:certificate_id>/<text:name>/<text:event>",
        certificate_trigger_api.CertificateTriggerRunView.as_view(),
        name="api-certificate-trigger-run",
    ),
    path(
        "api/v1/certificates/<certificate_reference:reference>",  # an id, or a URL-encoded PEM
        certificate_read_api.CertificateDetailView.as_view(),
        name="api-certificate",
    ),
    path(
        "api/v1/rfc5280/tc/<certificate_text:pem>",
        certificate_read_api.TrustChainView.as_view(),
        name="api-trust-chain",
    ),
    path(
        "api/v1/security/passwordpolicies/<text:name>/generate",
        GeneratePasswordView.as_view(),
        name="api-password-generate",
    ),
    # --- end of read-side API ---
    path(
        "api/v1/requests/<text:request_id>",
        request_api.RequestDetailView.as_view(),
        name="api-request",
    ),
    path("api/v1/security/principals/self", PrincipalSelfView.as_view(), name="api-self"),
    path("api/v1/discovery/feed", DiscoveryFeedView.as_view(), name="api-discovery-feed"),
    # Horizon's admin API (configuration as code): staff only.
    path("", include("administration.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Its start-up script served apart, under a CSP of its own (raportal/security.py).
    path("api/docs/", api_docs_view(url_name="api-schema"), name="api-docs"),
]

# Sign-in forms that say so when the authentication throttle refuses (raportal/throttling.py).
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("", home, name="home"),
    # Answered by raportal.health.HealthCheckMiddleware first; routed too for reverse().
    path("healthz", health.healthz, name="healthz"),
    # Browsers and tools ask /favicon.ico of every page without a <link rel="icon">.
    path(
        "favicon.ico",
        lambda request: HttpResponsePermanentRedirect(static("favicon.svg")),
        name="favicon",
    ),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("pki/<slug:name>.crt", ca_api.ca_certificate, name="ca-certificate"),
    path("pki/<slug:name>.crl", ca_api.ca_crl, name="ca-crl"),
    # OCSP (RFC 6960): POST the DER request here, or GET it base64-encoded (RFC 5019 §5).
    path("ocsp/<slug:name>", ocsp_view.ocsp_endpoint, name="ocsp"),
    path("ocsp/<slug:name>/", ocsp_view.ocsp_endpoint),
    path("ocsp/<slug:name>/<path:encoded>", ocsp_view.ocsp_endpoint, name="ocsp-get"),
    path("admin/", admin.site.urls),
    path("manage/", include("administration.pages.urls")),
    path("", include("est.urls")),
    path("", include("scep.urls")),
    path("", include("acme_server.urls")),
    path("", include("acme_server.admin_urls")),
    path("", include("requests_app.approvals.urls")),
    path("", include("requests_app.pages.urls")),
    path("", include("certificates.pages.urls")),
    *api_v1,
]
