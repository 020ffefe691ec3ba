"""Horizon's admin API (configuration as code), staff only. Bodies are validated with the
official client's pydantic models (``evertrust-horizon``): what Horizon's provisioning sends
is what we read. One module per kind of object; ``urls.py`` gathers them."""
