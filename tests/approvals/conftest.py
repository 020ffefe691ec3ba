"""Fixtures shared with the services' tests."""

# Dual control: a recovery waiting for two approvals, and a second approver.
from tests.requests_app.test_dual_control import (  # noqa: F401
    dual_recover,
    pending_recovery,
    second_approver,
)
