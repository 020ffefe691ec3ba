"""Profiles' part of the Horizon API: the caller's principal (its grants and teams), and passwords
made to a password policy."""
