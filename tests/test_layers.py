"""The layers hold: blueprints are leaves, services and models sit below them, the domain stands alone.

Imports are read from the source with `ast`, so the test sees every import, even one inside a
function, without importing anything.
"""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database  # runs once: see tests/README.md
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "rubric")
FRAMEWORKS = ("flask", "flask_babel", "flask_login", "flask_wtf", "sqlalchemy", "werkzeug", "wtforms")
# The layer of web helpers, above the services: they read the request, build forms and pages.
WEB_HELPERS = (
    "app.web",
    "app.forms",
    "app.template_helpers",
    "app.assets",
    "app.security",
    "app.i18n",
    "app.operations",
    "app.photo_files",
    "app.report_files",
)
# Entry points beside the blueprints: only create_app imports them.
ENTRY_POINTS = ("app.cli",)
# Below the web helpers: the use cases and what they stand on.
BELOW_THE_WEB = (
    "app.services",
    "app.models",
    "app.extensions",
    "app.errors",
    "app.access",
    "app.evidence",
    "app.idempotency",
    "app.rubrics",
    "app.config",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_modules() -> dict[str, Path]:
    return {
        module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = source_modules()
BLUEPRINTS = sorted(
    name
    for name, path in MODULES.items()
    if name.count(".") == 1
    and path.name == "__init__.py"
    and "Blueprint(" in path.read_text(encoding="utf-8")
)


def imports_of(name: str, path: Path) -> set[str]:
    """Every module `name` imports, `from x import y` counted as x.y when x.y is a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return found


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = ".".join(parts[: len(parts) - node.level + 1])
    return f"{base}.{node.module}" if node.module else base


def blueprint_of(module: str) -> str | None:
    return next((bp for bp in BLUEPRINTS if module == bp or module.startswith(bp + ".")), None)


def in_any(module: str, packages) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def above_the_services(module: str) -> bool:
    return blueprint_of(module) is not None or in_any(module, WEB_HELPERS + ENTRY_POINTS)


def ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Each module to the modules of ours its import runs: importing a.b.c runs a and a.b too.

    A module's own packages are left out: they are running already when it is imported, and a
    blueprint's routes importing `bp` from their package is the pattern, not a cycle.
    """
    graph = {}
    for name, path in modules.items():
        targets = set()
        for imported in imports_of(name, path):
            targets.update(m for m in [*ancestors(imported), imported] if m in modules)
        graph[name] = targets - {name, *ancestors(name)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each a cycle of imports."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


GRAPH = import_graph(MODULES)


def test_there_are_blueprints_and_services_to_check():
    assert {"app.admin", "app.api", "app.assess", "app.photos"} <= set(BLUEPRINTS)
    assert "app.services.assessments" in MODULES


@pytest.mark.parametrize("module", sorted(m for m in MODULES if blueprint_of(m) is None and m != "app"))
def test_only_create_app_imports_a_blueprint(module):
    """Services, models and helpers sit below the blueprints and never reach up into one."""
    upward = sorted(t for t in GRAPH[module] if blueprint_of(t) is not None)
    assert upward == [], f"{module} imports blueprint modules {upward}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if in_any(m, BELOW_THE_WEB)))
def test_services_and_what_they_stand_on_import_nothing_of_the_web(module):
    """Services, models and their helpers run in the CLI and the outbox import too: no web helper,
    command or blueprint above them may be imported, not even inside a function."""
    upward = sorted(t for t in GRAPH[module] if above_the_services(t))
    assert upward == [], f"{module} imports {upward}, which sit above it"


def test_every_module_of_the_app_has_a_layer():
    """A new module is placed on purpose: add it to a layer above (or to the README's Layout)."""
    placed = (*WEB_HELPERS, *ENTRY_POINTS, *BELOW_THE_WEB)
    unplaced = sorted(
        m for m in MODULES if m.startswith("app.") and blueprint_of(m) is None and not in_any(m, placed)
    )
    assert unplaced == []


def test_only_the_template_helpers_module_registers_template_helpers():
    """One place says what templates may call: create_app registers it through template_helpers."""
    registering = (
        "context_processor",
        "add_template_global",
        "template_global",
        "template_filter",
        "jinja_env",
    )
    found = sorted(
        name
        for name, path in MODULES.items()
        if name != "app.template_helpers"
        and any(call in path.read_text(encoding="utf-8") for call in registering)
    )
    assert found == []


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_a_blueprint_imports_no_other_blueprint(blueprint):
    own = [m for m in MODULES if blueprint_of(m) == blueprint]
    sideways = sorted(
        {f"{m} -> {t}" for m in own for t in GRAPH[m] if blueprint_of(t) not in (None, blueprint)}
    )
    assert sideways == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.split(".")[0] == "rubric"))
def test_the_domain_imports_no_framework_and_no_app(module):
    imported = imports_of(module, MODULES[module])
    forbidden = sorted(i for i in imported if i.split(".")[0] in (*FRAMEWORKS, "app"))
    assert forbidden == []


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
