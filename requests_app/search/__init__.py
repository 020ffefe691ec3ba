"""Searching requests: HRQL's fields on requests, the search scopes, the results (the language
and the search body both apps share: ``hrql``)."""
