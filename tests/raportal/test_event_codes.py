"""Every action the portal records maps to one of Horizon's EventCodes and EventModules
(raportal/event_codes.py): the ``record(…)`` calls of the code are read with ``ast`` and
their actions looked up in the table."""

import ast
from pathlib import Path

import pytest
from horizon.models.event_code import EventCode
from horizon.models.event_module import EventModule

from raportal.event_codes import ACTIONS, FALLBACK, explicit_terms, horizon_terms

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGES = [
    "raportal",
    "profiles",
    "certificates",
    "requests_app",
    "administration",
    "discovery",
    "est",
    "scep",
    "acme_server",
    "triggers",
]
# The calls that record an event: ``record(actor, action, obj)`` and every function of the
# portal taking an ``action`` parameter (``written``, ``save_certificate``, ``set_password``…),
# found by the walk itself; their string arguments there are the actions.
ACTION = "action"


def source_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def module_constants(tree: ast.Module) -> dict[str, str]:
    constants = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                    constants[target.id] = node.value.value
    return constants


def actions_in(expression: ast.expr, constants: dict[str, str]) -> list[str] | None:
    """The actions an argument can be: literals, f-strings (their constant start, the rest
    stood in by "x"), both arms of a conditional, a module constant. None for a name the
    module does not define (a parameter: its callers are read instead)."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return [expression.value]
    if isinstance(expression, ast.JoinedStr):
        text = "".join(
            part.value if isinstance(part, ast.Constant) else "x" for part in expression.values
        )
        return [text]
    if isinstance(expression, ast.IfExp):
        return (actions_in(expression.body, constants) or []) + (
            actions_in(expression.orelse, constants) or []
        )
    if isinstance(expression, ast.Name) and expression.id in constants:
        return [constants[expression.id]]
    return None


def action_parameters(trees) -> dict[str, int]:
    """Every function with an ``action`` parameter: its name and the parameter's position."""
    found = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                names = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
                if names and names[0] == "self":
                    names = names[1:]
                if ACTION in names:
                    found[node.name] = names.index(ACTION)
                elif any(a.arg == ACTION for a in node.args.kwonlyargs):
                    found[node.name] = -1  # keyword only
    return found


def recorded_actions() -> dict[str, str]:
    trees = {path: ast.parse(path.read_text()) for path in source_files()}
    takes_action = action_parameters(trees)
    found: dict[str, str] = {}
    for path, tree in trees.items():
        constants = module_constants(tree)
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{node.lineno}" if hasattr(node, "lineno") else ""
            if isinstance(node, ast.FunctionDef):  # def f(…, action: str = "user.password")
                arguments = [*node.args.posonlyargs, *node.args.args]
                positional = arguments[len(arguments) - len(node.args.defaults) :]
                defaults = dict(zip(positional, node.args.defaults, strict=True))
                defaults.update(zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True))
                for argument, default in defaults.items():
                    if argument.arg == ACTION and default is not None:
                        for action in actions_in(default, constants) or []:
                            found.setdefault(action, where)
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = takes_action.get(name or "")
            if position is None:
                continue
            arguments = [k.value for k in node.keywords if k.arg == ACTION]
            if 0 <= position < len(node.args):
                arguments.append(node.args[position])
            for argument in arguments:
                # A name the module does not define is a parameter passed on: its own
                # callers are read instead.
                for action in actions_in(argument, constants) or []:
                    if "." in action:  # not a command-line option's "store_true"
                        found.setdefault(action, where)
    return found


RECORDED = recorded_actions()


def test_the_walk_finds_the_portals_actions():
    for action in (
        "request.submit.x",
        "certificate.revoke",
        "team.create",
        "event.purge",
        "user.password",
        "localidentity.password.set",
    ):
        assert action in RECORDED, sorted(RECORDED)
    assert len(RECORDED) > 40


@pytest.mark.parametrize("action", sorted(RECORDED))
def test_every_recorded_action_has_a_horizon_code_and_module(action):
    terms = explicit_terms(action)
    assert terms is not None, f"{action} ({RECORDED[action]}) has no entry in event_codes.ACTIONS"
    assert terms.code in {code.value for code in EventCode}, terms
    assert terms.module in {module.value for module in EventModule}, terms
    assert terms.status in ("success", "warning", "failure")


def test_every_entry_of_the_table_is_horizons():
    for prefix, terms in ACTIONS.items():
        EventCode(terms.code), EventModule(terms.module)
        assert terms.status in ("success", "warning", "failure"), prefix


def test_the_longest_prefix_wins_and_an_unknown_action_still_answers():
    assert horizon_terms("request.approve.recover").code == "REQUEST-APPROVE"
    assert horizon_terms("apicredential.create").code == "SEC-LOCAL-IDENTITY-ADD"
    assert horizon_terms("apicredential.something").code == "SEC-LOCAL-IDENTITY-UPDATE"
    assert horizon_terms("no.such.action") == FALLBACK
    assert horizon_terms("request.challenge.redeem", {"protocol": "est"}).module == "est"
    assert horizon_terms("request.submit.enroll", {"status": "failed"}).status == "failure"
