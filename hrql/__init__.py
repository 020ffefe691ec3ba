"""Horizon's query languages (HRQL for requests, HCQL for certificates), the part both searches
share: the parser, its fields and date literals, and the search body and page. Each app keeps
its own field map and results (``requests_app.search``, ``certificates.search_fields``)."""
