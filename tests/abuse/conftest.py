"""What the fuzzing tests share."""

import pytest


@pytest.fixture(autouse=True)
def _inputs_independent_of_loaded_modules(monkeypatch):
    """Hypothesis also draws, now and then, literals found in whichever of the project's
    modules happen to be imported, so the inputs would depend on the tests that ran before in
    the same process. Without them, every run (CI, a developer, one file or the suite) sends
    the same inputs."""
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import Constants

    none = Constants()
    monkeypatch.setattr(providers, "_get_local_constants", lambda: none)
    providers.CONSTANTS_CACHE.cache.clear()
    yield
    providers.CONSTANTS_CACHE.cache.clear()
