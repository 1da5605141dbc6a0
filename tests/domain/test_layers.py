"""The layers hold: blueprints are leaves, services and models sit below them, the domain stands alone.

Imports are read from the source with `ast`, so the test sees every import, even one inside a
function, without importing anything.
"""

import ast
from pathlib import Path

import pytest

from tests import ROOT

pytestmark = pytest.mark.no_database  # runs once: see tests/README.md
PACKAGES = ("app", "rubric")
FRAMEWORKS = ("flask", "flask_babel", "flask_login", "flask_wtf", "sqlalchemy", "werkzeug", "wtforms")
# The layers, one folder each, from the bottom up: what a module may import follows from its folder.
FOUNDATION = ("app.config", "app.extensions", "app.models")
SERVICES = "app.services"
WEB = "app.web"
CLI = "app.cli"
# What a service may not take from Flask: the request and whatever stands for one, and route URLs.
REQUEST_BOUND = {
    "flask": {"request", "session", "g", "url_for", "redirect", "abort", "make_response"},
    "flask_login": {"current_user", "login_required", "login_user", "logout_user"},
}


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


def layer_of(module: str) -> str:
    """The folder a module of the app lives in, which is its layer."""
    if module == "app":
        return "factory"
    if module in FOUNDATION:
        return "foundation"
    for layer, package in (("services", SERVICES), ("web", WEB), ("cli", CLI)):
        if in_any(module, (package,)):
            return layer
    return "blueprint" if blueprint_of(module) else "unplaced"


def above_the_services(module: str) -> bool:
    return layer_of(module) in ("web", "cli", "blueprint", "factory")


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


SERVICE_MODULES = sorted(m for m in MODULES if layer_of(m) in ("services", "foundation"))


@pytest.mark.parametrize("module", SERVICE_MODULES)
def test_services_and_what_they_stand_on_import_nothing_of_the_web(module):
    """Services, models and their helpers run in the CLI and the outbox import too: no web helper,
    command or blueprint above them may be imported, not even inside a function."""
    upward = sorted(t for t in GRAPH[module] if above_the_services(t))
    assert upward == [], f"{module} imports {upward}, which sit above it"


def request_bound_names(path: Path) -> list[str]:
    """The names of the request (or route URLs) a module imports from Flask or Flask-Login."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module in REQUEST_BOUND:
            found += [f"{node.module}.{a.name}" for a in node.names if a.name in REQUEST_BOUND[node.module]]
    return found


@pytest.mark.parametrize("module", SERVICE_MODULES)
def test_services_are_request_free(module):
    """A service gets its actor and values passed in: it reads no request, no logged-in user and
    builds no route URL, so the CLI and the outbox import call it as a page does."""
    assert request_bound_names(MODULES[module]) == []


def test_the_request_free_check_sees_a_request_import(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("from flask import current_app, url_for\nfrom flask_login import current_user\n")
    assert request_bound_names(module) == ["flask.url_for", "flask_login.current_user"]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer_of(m) == "web"))
def test_web_helpers_import_no_blueprint_and_no_command(module):
    upward = sorted(t for t in GRAPH[module] if layer_of(t) in ("blueprint", "cli", "factory"))
    assert upward == [], f"{module} imports {upward}, which sit above it"


def test_every_module_of_the_app_lives_in_a_layer_folder():
    """A new module goes into a layer's folder (app/services/, app/web/, app/cli/ or a blueprint's
    package); only the factory and the foundation (config, extensions, models) stand at app/."""
    assert sorted(m for m in MODULES if m.startswith("app") and layer_of(m) == "unplaced") == []


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
        if name != "app.web.template_helpers"
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
