"""Dependencies point one way (DESIGN.md): plumbing and pure crypto at the bottom, then the
query language, then profiles and certificates, and the apps on top (requests,
administration, discovery). Nothing imports upward.

Every ``.py`` file of the portal's packages (migrations aside) is read with ``ast``: every
``import`` and ``from … import`` statement, at the top of the module or inside a function
(lazy imports count: they are dependencies all the same), and the calls that import by name
(``import_module("…")``, ``apps.get_model("app", "Model")``, a ``ForeignKey("app.Model")``).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A package may import its own layer and the layers below it, never one above.
LAYERS = {
    "raportal": 0,  # plumbing: settings, API machinery, audit, crypto helpers
    "certificates.pki": 0,  # pure crypto
    "hrql": 1,  # the query language both searches speak (uses the API plumbing)
    # One layer: a profile names its issuing CA (a ForeignKey), a certificate its profile.
    "profiles": 2,
    "certificates": 2,
    # What a profile fires on events: requests and certificates hand it their data.
    "triggers": 2,
    "requests_app": 3,
    "administration": 3,
    "discovery": 3,
    # Device enrollment protocols: views over the request services.
    "est": 4,
    "scep": 4,
    "acme_server": 4,
}

# The URL root and the settings name every app: that is their job.
ALLOWED = {"raportal/settings.py", "raportal/urls.py"}

# Calls that import what their first (string) argument names.
IMPORTING_CALLS = {"import_module", "import_string", "__import__"}
MODEL_CALLS = {"get_model", "ForeignKey", "OneToOneField", "ManyToManyField"}


def layer_of(module: str) -> tuple[str, int] | None:
    """The most specific package of ``LAYERS`` that ``module`` belongs to."""
    found = None
    for package, rank in LAYERS.items():
        if (module == package or module.startswith(package + ".")) and (
            found is None or len(package) > len(found[0])
        ):
            found = (package, rank)
    return found


def imported_modules(path: Path, module: str):
    """``(line, module imported, statement as written)`` for every import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ast.unparse(node)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package, ``level - 1`` packages up
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}", ast.unparse(node)
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            if name in IMPORTING_CALLS:
                yield node.lineno, first.value, ast.unparse(node)
            elif name in MODEL_CALLS and first.value not in ("self",):
                # get_model("app", "Model") or get_model("app.Model"); "app.Model" in fields
                yield node.lineno, first.value.partition(".")[0], ast.unparse(node)


def portal_files():
    for package in {name.partition(".")[0] for name in LAYERS}:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or "tests" in relative.parts:
                continue
            yield relative


def upward_imports() -> list[str]:
    found = []
    for relative in portal_files():
        if relative.as_posix() in ALLOWED:
            continue
        module = ".".join(relative.with_suffix("").parts)
        here_package, here = layer_of(module)
        seen = set()
        for line, imported, statement in imported_modules(ROOT / relative, module):
            there = layer_of(imported)
            if there is not None and there[1] > here and (line, statement) not in seen:
                seen.add((line, statement))
                found.append(
                    f"{relative}:{line}: {statement}  ({here_package}, layer {here}, imports "
                    f"{there[0]}, layer {there[1]})"
                )
    return found


def test_no_package_imports_a_layer_above_its_own():
    found = upward_imports()
    assert not found, "upward imports (DESIGN.md: dependencies point one way):\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("certificates", "requests_app"),
        ("certificates", "administration"),
        ("raportal", "requests_app"),
        ("raportal", "administration"),
        ("profiles", "requests_app"),
        ("profiles", "administration"),
    ],
)
def test_the_layers_put_the_request_and_administration_apps_above(lower, upper):
    # What issue 13 asks, stated in the table above: an edit of LAYERS must not loosen it.
    assert layer_of(lower)[1] < layer_of(upper)[1]


def test_the_walk_sees_lazy_relative_and_by_name_imports(tmp_path):
    source = tmp_path / "views.py"
    source.write_text(
        "def view():\n"
        "    from requests_app.models import Request\n"
        "    from ..models import Certificate\n"
        "    import_module('discovery.api')\n"
        "    return apps.get_model('requests_app', 'Request')\n"
    )
    found = [imported for _, imported, _ in imported_modules(source, "certificates.pages.views")]
    assert sorted(found) == [
        "certificates.models.Certificate",
        "discovery.api",
        "requests_app",
        "requests_app.models.Request",
    ], found
