"""Keeps ``/api/`` answers machine-readable outside DRF's own views: an unknown API path, a
CSRF failure or an uncaught error would otherwise produce Django's HTML pages."""

import logging

from raportal.api.problems import plain_problem_response

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


class ApiProblemMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX):
            return response
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and "json" not in content_type:
            if response.status_code == 404:
                return plain_problem_response(
                    "REQ-001", f"Nothing here: {request.path}", status=404
                )
            if response.status_code == 403:
                return plain_problem_response("SEC-PERM-001")
            if response.status_code >= 500:
                return plain_problem_response("REQ-001", "Unexpected error", status=500)
            return plain_problem_response("REQ-002", status=response.status_code)
        return response

    def process_exception(self, request, exception):
        if request.path.startswith(API_PREFIX):
            log.exception("unexpected error on %s", request.path, exc_info=exception)
            return plain_problem_response("REQ-001", "Unexpected error", status=500)
        return None
