"""JSON answers under ``/api/`` carry exactly ``application/json`` or
``application/problem+json``: no ``charset`` or other parameter.

JSON is UTF-8 by definition (RFC 8259 §8.1) and ``application/json`` has no charset parameter
(§11); some strict clients compare the media type whole. Whatever produced the answer — a DRF
renderer, Django, a middleware — this strips the parameters, so put it first in MIDDLEWARE
(outermost: it sees the problems ``ApiProblemMiddleware`` writes too).
"""

import re

API_PREFIX = "/api/"
JSON_TYPE = re.compile(r"\s*(application/(?:[\w.-]+\+)?json)\s*;.*", re.IGNORECASE | re.DOTALL)


class JsonContentTypeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX):
            match = JSON_TYPE.fullmatch(response.get("Content-Type", ""))
            if match:
                response["Content-Type"] = match[1].lower()
        return response
