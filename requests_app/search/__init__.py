"""Searching requests and certificates with (a subset of) Horizon's query languages."""
