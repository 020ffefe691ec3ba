"""raportal/horizon_models.py: the official client's models without its package ``__init__``s,
and the whole client still there for code that imports it, in either order.

Each test runs in a fresh interpreter: which of the two packages ran its ``__init__`` is
per process, and this process imported the client long ago (the contract tests do).
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from raportal import horizon_models

# Slow (`make test-fast` leaves it out): every test runs a fresh interpreter.
pytestmark = pytest.mark.slow

BASE_DIR = Path(__file__).resolve().parents[2]


def run(*code: str) -> dict:
    """Runs the pieces of ``code`` in a fresh interpreter; the last line it prints is a JSON
    value, returned here."""
    result = subprocess.run(
        [sys.executable, "-c", "\n".join(textwrap.dedent(piece) for piece in code)],
        cwd=BASE_DIR,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


STATE = """
def state():
    import sys
    package, models = sys.modules.get("horizon"), sys.modules.get("horizon.models")
    return {
        # The package __init__ ran when the module holds what it defines.
        "package_init_ran": package is not None and "ApiClient" in vars(package),
        "models_init_ran": models is not None and "AWSConnector" in vars(models),
        "api_loaded": "horizon.api" in sys.modules,
        "modules": sum(1 for name in sys.modules if name.startswith("horizon.")),
    }
"""

SCHEMAS = """
def schemas(module):
    return {name: getattr(module, name).model_json_schema(by_alias=True) for name in
            module.__all__}
"""


def test_the_models_load_without_running_either_package_init():
    answer = run(
        STATE,
        """
        import json
        import raportal.horizon_models
        print(json.dumps(state()))
        """,
    )
    assert answer["package_init_ran"] is False and answer["models_init_ran"] is False, answer
    assert answer["api_loaded"] is False
    assert answer["modules"] < 100, answer  # the dozen models and what they use, not 1 400


def test_the_models_loaded_alone_are_those_of_the_whole_client():
    alone = run(SCHEMAS, "import json, raportal.horizon_models as m; print(json.dumps(schemas(m)))")
    whole = run(
        SCHEMAS, "import json, horizon, raportal.horizon_models as m; print(json.dumps(schemas(m)))"
    )
    assert sorted(alone) == sorted(horizon_models.__all__)  # each model the project uses
    assert alone == whole


def test_the_whole_client_imported_after_the_models_works_and_shares_their_classes():
    answer = run(
        STATE,
        """
        import json
        import raportal.horizon_models as m

        before = state()
        import horizon
        from horizon import ApiClient, CertificateLabelApi, Configuration
        from horizon.models.request_submit_request import RequestSubmitRequest
        after_package = state()
        client = ApiClient(Configuration(host="http://127.0.0.1:1"))
        # The client's deserializer finds models by name on the models package.
        label = client.deserialize('{"name": "env"}', "Label", "application/json")
        from horizon.models import AWSConnector
        print(json.dumps({
            "before": before,
            "after_package": after_package,
            "after_models": state(),
            "version": horizon.__version__,
            "label_is_shared": type(label) is m.Label and horizon.Label is m.Label,
            "profile_is_shared": horizon.models.WebRAProfile is m.WebRAProfile,
            "api": CertificateLabelApi(client).__class__.__module__,
            "request": RequestSubmitRequest.__module__,
            "no_such_attribute": hasattr(horizon, "NoSuchThing"),
            "hooks_left": [p.__name__ for p in (horizon, horizon.models)
                           if "__getattr__" in vars(p)],
        }))
        """,
    )
    assert answer["before"]["package_init_ran"] is False, answer
    assert answer["after_package"]["package_init_ran"] is True, answer
    assert answer["after_package"]["api_loaded"] is True
    assert answer["after_models"]["models_init_ran"] is True, answer
    assert answer["version"] == "2.10.0"
    assert answer["label_is_shared"] is True and answer["profile_is_shared"] is True
    assert answer["api"] == "horizon.api.certificate_label_api"
    assert answer["request"] == "horizon.models.request_submit_request"
    assert answer["no_such_attribute"] is False
    assert answer["hooks_left"] == []  # once run, the packages are the client's own


def test_a_client_module_imported_directly_after_the_models_imports_cleanly():
    # horizon.api_client runs `from horizon import rest` while it is being imported: that
    # must import the submodule, not start the whole package (which imports api_client).
    answer = run(
        STATE,
        """
        import json
        import raportal.horizon_models
        from horizon.api.request_api import RequestApi
        from horizon.api_client import ApiClient
        print(json.dumps({"state": state(), "api": RequestApi.__name__}))
        """,
    )
    assert answer["api"] == "RequestApi"


def test_threads_asking_for_the_client_at_once_all_get_it():
    answer = run(
        """
        import json, threading
        import raportal.horizon_models
        import horizon

        start, found = threading.Barrier(4), []
        def ask():
            start.wait()
            found.append(horizon.ApiClient.__name__)
        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(json.dumps(found))
        """
    )
    assert answer == ["ApiClient"] * 4


def test_the_models_come_from_the_client_when_it_was_imported_first():
    answer = run(
        STATE,
        """
        import json
        import horizon
        from horizon import ApiClient
        import raportal.horizon_models as m
        print(json.dumps({
            "state": state(),
            "shared": m.WebRAProfile is horizon.WebRAProfile and m.Label is horizon.Label,
            "hooks_left": "__getattr__" in vars(horizon) or "__getattr__" in vars(horizon.models),
        }))
        """,
    )
    assert answer["state"]["package_init_ran"] is True, answer
    assert answer["state"]["models_init_ran"] is True
    assert answer["shared"] is True and answer["hooks_left"] is False
