"""Provisions a running portal exactly as EverTrust's CI provisions a Horizon for its Ansible
suite: ``provision_horizon(endpoint)`` from the collection's own
``tests/integration/run_horizon_matrix.py``, imported unchanged, with only its administrator
credentials pointed at the portal's staff account.

Runs in the compatibility venv (the one with the collection's requirements, where
``run_horizon_matrix`` finds ``horizon``, ``pymongo`` and ``testcontainers`` to import):

    .venv-compat/bin/python compat/provision.py ENDPOINT COLLECTION_SOURCE API_ID API_KEY
"""

import sys
from pathlib import Path


def main() -> None:
    endpoint, source, api_id, api_key = sys.argv[1:5]
    sys.path.insert(0, str(Path(source) / "tests" / "integration"))
    import run_horizon_matrix as matrix  # the suite's own module, not a copy

    matrix.ADMIN_API_ID = api_id
    matrix.ADMIN_API_KEY = api_key
    matrix.provision_horizon(endpoint)
    print(f"provisioned {endpoint} with run_horizon_matrix.provision_horizon")


if __name__ == "__main__":
    main()
