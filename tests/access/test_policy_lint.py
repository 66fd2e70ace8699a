"""No view or API module reads a domain model except through the access policy.

Views and API handlers never touch a model manager: they call selectors and services.
Selectors start every query from `Model.objects.visible_to(...)`; the few that cannot (they
*establish* who is asking) are listed here with the reason.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY_MODULES = ["views.py", "api.py", "fastpath.py", "forms.py", "schemas.py"]

# (module, function): why it may query without visible_to.
ESTABLISH_THE_ACTOR = {
    ("entitle/accounts/selectors.py", "invitation_from_token"): "the signed link is the credential",
    ("entitle/renewals/selectors.py", "registration_from_token"): "the signed reminder link",
    ("entitle/accounts/selectors.py", "api_token_authenticate"): "the token is the credential",
    ("entitle/licensing/selectors.py", "device_activity"): "gated by device_get just before",
}


def manager_uses(path: Path):
    """(function name, line, followed by visible_to?) for every `X.objects.<attr>` in a file."""
    tree = ast.parse(path.read_text())
    for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "objects"
            ):
                yield function.name, node.lineno, node.attr == "visible_to"


def test_views_and_api_handlers_never_touch_a_manager():
    offenders = []
    for name in ENTRY_MODULES:
        for path in (ROOT / "entitle").glob(f"*/{name}"):
            offenders += [f"{path.relative_to(ROOT)}:{line}" for _, line, _ in manager_uses(path)]
    assert offenders == []


def test_selectors_start_from_the_policy():
    offenders = []
    for path in (ROOT / "entitle").glob("*/selectors.py"):
        module = str(path.relative_to(ROOT))
        for function, line, through_policy in manager_uses(path):
            if not through_policy and (module, function) not in ESTABLISH_THE_ACTOR:
                offenders.append(f"{module}:{line} in {function}")
    assert offenders == []


def test_the_lint_itself_catches_a_bypass(tmp_path):
    sample = tmp_path / "selectors.py"
    sample.write_text(
        "def leaky(actor):\n    return Licence.objects.filter(owner=actor.company)\n"
        "def fine(actor):\n    return Licence.objects.visible_to(actor, 'view')\n"
    )
    assert [(f, ok) for f, _, ok in manager_uses(sample)] == [("leaky", False), ("fine", True)]
