"""A lint: no read of domain data goes around the access policy.

Every module under `entitle/` that reads data for someone — views, API handlers, selectors,
schemas, forms, template tags, tasks, admin, management commands — must start each query from
`Model.objects.visible_to(actor, action)`. This finds the ways around it:

- a manager used without `.visible_to(...)` straight after `.objects`, including one kept in a
  variable (an alias), at module or class level, or inside an `async def`;
- `get_object_or_404` / `get_list_or_404` (they query the default manager);
- `_default_manager` / `_base_manager`;
- a related manager queried from an object (`company.licences.all()`), which skips the related
  model's rule unless it was filled by a `RestrictedPrefetch`;
- raw SQL (`.raw(`, `.extra(`, `RawSQL`, a database `cursor()`);
- a statement compiled once (`entitle.core.statements.Select`), reported under the name it is
  declared as (it runs wherever that name is used).

Out of scope, with the reason: models and the policy rules themselves (they *are* the policy),
services (every write: they lock rows they fetched through the policy, by primary key),
migrations, tests, and the demo world (the system building its own data).
"""

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NOT_READ_PATHS = ("models.py", "policy.py", "services.py", "events.py", "demo.py")
NOT_READ_DIRS = ("tests", "migrations", "services")
QUERY_METHODS = {
    "all",
    "filter",
    "exclude",
    "get",
    "first",
    "last",
    "count",
    "exists",
    "values",
    "values_list",
    "aggregate",
    "annotate",
    "order_by",
    "iterator",
    "in_bulk",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "latest",
    "earliest",
}
RAW_SQL_CALLS = {"raw", "extra", "cursor", "RawSQL"}


@dataclass(frozen=True)
class Finding:
    path: str
    function: str
    line: int
    shape: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} in {self.function}: {self.shape}"


def in_scope(path: Path) -> bool:
    relative = path.relative_to(ROOT)
    return (
        relative.parts[0] == "entitle"
        and path.name not in NOT_READ_PATHS
        and not any(part in NOT_READ_DIRS for part in relative.parts)
    )


def scoped_files() -> list[Path]:
    return sorted(p for p in (ROOT / "entitle").rglob("*.py") if in_scope(p))


class _Visitor(ast.NodeVisitor):
    def __init__(self, path: str, related: set[str]) -> None:
        self.path, self.related = path, related
        self.scope: list[str] = []
        self.functions = 0
        self.findings: list[Finding] = []
        self.parents: dict[ast.AST, ast.AST] = {}

    def report(self, node: ast.AST, shape: str) -> None:
        where = ".".join(self.scope) or "<module>"
        self.findings.append(Finding(self.path, where, node.lineno, shape))

    def visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.parents[child] = node
        super().visit(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.functions += 1
        self.generic_visit(node)
        self.functions -= 1
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        parent = self.parents.get(node)
        if node.attr == "objects":
            if self.functions == 0:
                self.report(node, "a query at module or class level (no actor there)")
            elif not (isinstance(parent, ast.Attribute) and parent.attr == "visible_to"):
                self.report(node, "a manager used without visible_to()")
        elif node.attr in ("_default_manager", "_base_manager"):
            self.report(node, f"{node.attr} goes around the policy")
        elif (
            node.attr in QUERY_METHODS
            and isinstance(parent, ast.Call)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in self.related
            and not _is_manager_chain(node.value)
        ):
            self.report(node, f"the related manager .{node.value.attr} queried directly")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = (
            node.func.attr
            if isinstance(node.func, ast.Attribute)
            else node.func.id
            if isinstance(node.func, ast.Name)
            else ""
        )
        if name in ("get_object_or_404", "get_list_or_404"):
            self.report(node, f"{name} reads the default manager")
        elif name in RAW_SQL_CALLS:
            self.report(node, f"raw SQL ({name})")
        elif name == "Select":
            target = self.parents.get(node)
            declared = (
                target.targets[0].id
                if isinstance(target, ast.Assign) and isinstance(target.targets[0], ast.Name)
                else ".".join(self.scope) or "<module>"
            )
            self.findings.append(
                Finding(self.path, declared, node.lineno, "a compiled statement (Select)")
            )
        self.generic_visit(node)


def _is_manager_chain(node: ast.Attribute) -> bool:
    """`X.objects.visible_to(...).<accessor>` is not a related manager: it is a field lookup."""
    return isinstance(node.value, ast.Call)


def related_accessors() -> set[str]:
    """Every name through which a model instance reaches a related manager (reverse foreign
    keys, many-to-many both ways), from Django's app registry."""
    from django.apps import apps

    names = set()
    for model in apps.get_models():
        if not model.__module__.startswith("entitle."):
            continue
        for field in model._meta.get_fields():
            if field.one_to_many or field.many_to_many:
                names.add(field.get_accessor_name() if field.auto_created else field.name)
    return names


def findings_in(source: str, path: str, related: set[str]) -> list[Finding]:
    visitor = _Visitor(path, related)
    visitor.visit(ast.parse(source))
    return visitor.findings
