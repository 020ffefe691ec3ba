from tests.contract.conftest import client_for  # noqa: F401
