"""The error codes of the Horizon submit contract (status, message), as published on the
vendor's API page (shared/contract/error-codes.json). Where the page lists a code under two
statuses, the client-error one is kept: we only answer 5xx for our own faults."""

CONTRACT_CODES: dict[str, tuple[int, str]] = {
    "CERT-TEAM-001": (400, "Invalid Team Element"),
    "CERT-ELEM-001": (400, "Invalid Certificate Element"),
    "REQ-002": (400, "Invalid Request"),
    "REQ-004": (400, "Invalid Request status"),
    "REQ-005": (400, "Expired Request"),
    "SEC-AUTH-007": (400, "Invalid Identity Provider"),
    "SEC-AUTH-008": (400, "Invalid redirect path"),
    "SEC-AUTH-010": (400, "Invalid Jwt Token"),
    "EST-ENROLL-001": (
        400,
        "Invalid Authorization Mode as DN whitelisting is not enabled on profile",
    ),
    "EST-ENROLL-002": (400, "DN is required as DN whitelisting is enabled on EST profile"),
    "EST-ENROLL-003": (400, "Invalid Distinguished Name"),
    "EST-ENROLL-004": (400, "Invalid EST Enroll Request"),
    "EST-ENROLL-005": (400, "Invalid EST Profile"),
    "SCEP-ENROLL-001": (400, "SCEP pre-validation is not enabled on SCEP profile"),
    "SCEP-ENROLL-002": (400, "DN is required as DN whitelisting is enabled on SCEP profile"),
    "SCEP-ENROLL-003": (400, "Invalid Distinguished Name"),
    "SCEP-ENROLL-004": (400, "Invalid SCEP Enroll Request"),
    "SCEP-ENROLL-005": (400, "Invalid SCEP Profile"),
    "WEBRA-ENROLL-001": (400, "Invalid enrollment mode"),
    "WEBRA-ENROLL-002": (400, "Invalid key type"),
    "WEBRA-ENROLL-003": (400, "Invalid certificate request"),
    "WEBRA-ENROLL-004": (400, "Invalid subject parameter(s)"),
    "WEBRA-ENROLL-005": (400, "Invalid subject alternate name parameter(s)"),
    "WEBRA-ENROLL-006": (400, "Invalid label parameter(s)"),
    "WEBRA-ENROLL-009": (
        400,
        "Missing Web Registration Authority Enrollment Request Template on approved request",
    ),
    "WEBRA-ENROLL-012": (400, "Invalid Web Registration Authority Enroll Request"),
    "WEBRA-RECOVER-001": (400, "No certificateId specified"),
    "WEBRA-RECOVER-002": (400, "Web Registration Authority recovery failed"),
    "WEBRA-RECOVER-003": (400, "Invalid Web Registration Authority Recover Request"),
    "WEBRA-RECOVER-004": (400, "Certificate does not exist"),
    "WEBRA-REVOKE-001": (400, "No certificate specified"),
    "WEBRA-REVOKE-003": (400, "Invalid Web Registration Authority revocation request"),
    "WEBRA-REVOKE-004": (400, "Certificate does not exist"),
    "WEBRA-REVOKE-005": (400, "Invalid certificate"),
    "WEBRA-REVOKE-006": (400, "Missing Web Registration Authority Revoke Request Template"),
    "WEBRA-MIGRATE-001": (400, "No certificate specified"),
    "WEBRA-MIGRATE-007": (400, "Invalid migration profile"),
    "WEBRA-RENEW-001": (400, "Invalid request"),
    "WEBRA-RENEW-003": (400, "Invalid Web Registration Authority Profile"),
    "WEBRA-RENEW-004": (400, "Renewal not enabled on Web Registration Authority Profile"),
    "WEBRA-RENEW-005": (400, "Certificate not in its renewal period"),
    "WEBRA-RENEW-006": (400, "Certificate status does not allow renewal"),
    "WEBRA-IMPORT-001": (400, "Invalid request"),
    "WEBRA-IMPORT-003": (400, "Certificate key is already escrowed"),
    "WEBRA-IMPORT-004": (400, "Import request does not contain certificate"),
    "SEC-AUTH-002": (401, "Invalid credentials or principal does not exist"),
    "SEC-AUTH-009": (401, "Principal not authenticated or authentication expired"),
    "SEC-PERM-001": (403, "Insufficient privileges"),
    "SEC-AUTH-003": (403, "Certificate is not trusted"),
    "SEC-AUTH-004": (403, "Certificate is expired"),
    "SEC-AUTH-005": (403, "Certificate is revoked"),
    "SEC-AUTH-006": (403, "Principal not authenticated"),
    "LIC-002": (403, "Invalid License"),
    "LIC-003": (403, "Maximum number of holders reached"),
    "LIC-004": (403, "Expired License"),
    "REQ-001": (404, "Unexpected Error"),
    "REQ-003": (404, "Request not found"),
    "REQ-009": (404, "Invalid Certificate"),
    "REQ-010": (404, "Profile does not exist or is disabled"),
    "EST-ENROLL-006": (500, "Missing profile EST Enrollment Request Template"),
    "EST-ENROLL-007": (500, "Missing approved EST Enrollment Request Template"),
    "EST-ENROLL-008": (500, "Missing pending EST Enrollment Request Template"),
    "EST-ENROLL-009": (
        500,
        "Unable to validate pending request. The EST profile was modified and the request can only be canceled or denied",
    ),
    "SCEP-ENROLL-006": (500, "Missing profile SCEP Enrollment Request Template"),
    "SCEP-ENROLL-007": (500, "Missing approved SCEP Enrollment Request Template"),
    "SCEP-ENROLL-008": (500, "Missing pending SCEP Enrollment Request Template"),
    "SCEP-ENROLL-009": (
        500,
        "Unable to validate pending request. The EST profile was modified and the request can only be canceled or denied",
    ),
    "WEBRA-ENROLL-007": (
        500,
        "Missing Web Registration Authority Enrollment Request Template on profile",
    ),
    "WEBRA-ENROLL-008": (
        500,
        "Missing Web Registration Authority Enrollment Request Template on pending request",
    ),
    "WEBRA-ENROLL-010": (
        500,
        "Unable to validate pending enroll request. The Web Registration Authority profile was modified and the request can only be canceled or denied",
    ),
    "WEBRA-ENROLL-011": (500, "Web Registration Authority enrollment failed"),
    "WEBRA-ENROLL-013": (500, "Invalid Web Registration Authority Profile"),
    "WEBRA-ENROLL-014": (500, "Invalid Web Registration Authority"),
    "WEBRA-REVOKE-002": (500, "Web Registration Authority revocation failed"),
    "WEBRA-MIGRATE-005": (
        500,
        "Missing Web Registration Authority Migrate Request Template on submitted request",
    ),
    "WEBRA-RENEW-002": (500, "Web Registration Authority renewal failed"),
}


# Codes the official client (evertrust-horizon) documents for the read side — searches,
# certificates, RFC 5280 tools — which the submit contract's page does not list. Answering
# them lets the client parse a problem into its typed error model (ApiException.data).
CLIENT_CODES: dict[str, tuple[int, str]] = {
    "HQL-001": (400, "Invalid HQL query"),  # RequestSearch400Response, CertificateSearch400…
    "REQ-006": (400, "Invalid Request Search Query"),
    "CERT-SEARCH-002": (400, "Invalid Search Request"),
    "CERT-SEARCH-003": (404, "Certificate not found"),  # CertificateGetId404Response
    "RFC5280-002": (400, "Invalid X509 Certificate"),  # Rfc5280TcPem400Response
    # The events API (EventSearch400ResponseOneOf, EventValidate400/404Response).
    "EVT-002": (400, "Invalid Event Search Query"),
    "EVT-003": (404, "Event not found"),
    "EVT-004": (400, "Invalid Event"),
}

# Horizon's admin API (configuration as code) answers with codes of its own per kind of
# object, as the official client's *400/403/404Response models spell them: -002 invalid,
# -003 not found, -004 already exists (400, not 409), -005/-006 referenced (in use).
ADMIN_CODES: dict[str, tuple[int, str]] = {
    "CERT-PROFILE-002": (400, "Invalid Certificate Profile"),
    "CERT-PROFILE-003": (404, "Certificate Profile not found"),
    "CERT-PROFILE-004": (400, "Certificate Profile already exists"),
    "CERT-PROFILE-005": (400, "Invalid Module"),
    "CERT-PROFILE-006": (403, "Referenced Certificate Profile"),
    "CERT-LABEL-002": (400, "Invalid Label"),
    "CERT-LABEL-003": (404, "Label not found"),
    "CERT-LABEL-004": (400, "Label already exists"),
    "CERT-LABEL-005": (403, "Referenced Label"),
    "TEAM-002": (400, "Invalid team"),
    "TEAM-003": (404, "Team not found"),
    "TEAM-004": (400, "Team already exists"),
    "LOCAL-ID-002": (400, "Invalid Local Identity"),
    "LOCAL-ID-003": (404, "Local Identity not found"),
    "LOCAL-ID-004": (400, "Local Identity already exists"),
    "LOCAL-ID-007": (400, "Invalid Set Password Request"),
    "LOCAL-ID-010": (400, "Password does not match the Password policy"),
    "LOCAL-ID-011": (401, "Invalid Reset Password Request"),
    "SEC-PERM-008": (403, "Self deletion is not authorized"),
    "SEC-PI-002": (400, "Invalid Principal Info"),
    "SEC-PI-003": (404, "Principal Info not found"),
    "SEC-PI-004": (400, "Principal info already exists"),
    "SEC-PI-005": (400, "Invalid Principal Info search query"),
    "PKI-CONNECTOR-002": (400, "Invalid PKI Connector"),
    "PKI-CONNECTOR-003": (404, "PKI Connector not found"),
    "PKI-CONNECTOR-004": (400, "PKI Connector already exists"),
    "PKI-CONNECTOR-005": (400, "Referenced PKI Connector"),
    "CA-002": (400, "Invalid Certificate Authority"),
    "CA-003": (404, "Certificate Authority not found"),
    "CA-004": (400, "Certificate Authority already exists"),
    "CA-005": (403, "Referenced Certificate Authority"),
    # Discovery: campaigns (DiscoveryCampaignUpdate400/404Response, …Add400ResponseOneOf) and
    # the feed (DiscoveryFeed400Response).
    "DISC-CAMP-002": (400, "Invalid discovery campaign"),
    "DISC-CAMP-003": (404, "Discovery campaign not found"),
    "DISC-CAMP-004": (400, "Discovery campaign already exists"),
    "DISC-FEED-002": (400, "Invalid Discovery Feed"),
}

KNOWN_CODES: dict[str, tuple[int, str]] = {**CONTRACT_CODES, **CLIENT_CODES, **ADMIN_CODES}
