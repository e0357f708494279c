"""The direction of the imports (docs/architecture.md), read from the source with `ast`: every import,
at the top of a module or inside a function, counts. A circle, a model that imports a service, a
service that imports a lower layer's caller, or another app's private name fails here, and in
`make lint`."""

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("licensing", "portal")

# The writes, from the bottom up: each may import the ones before it, never one after it.
SERVICE_LAYERS = (
    "licensing.jobs.services",
    "licensing.webhooks.outbox",
    "licensing.activity.services",
    "licensing.webhooks.services",
    "licensing.integrations.services",
    "licensing.accounts.throttle",
    "licensing.accounts.access_tokens",
    "licensing.accounts.invitations",
    "licensing.groups.seats",
    "licensing.teams.services",
    "licensing.subscriptions.services",
    "licensing.groups.services",
    "licensing.accounts.devices",
    "licensing.accounts.device_grant",
    "licensing.accounts.services",
    "licensing.accounts.invite_many",
    "licensing.subscriptions.purchases",
    "licensing.accounts.imports",
)
# What a model may import of ours besides other models: the project's infrastructure.
INFRASTRUCTURE = (
    "portal.db",
    "portal.jobs",
    "portal.mail",
    "portal.fields",
    "portal.csv_export",
    "portal.translations",
)
# Modules that serve people (screens, the admin, the API): nothing below them imports them. A package
# of them (`licensing.teams.admin.base`) counts as they do: any part of the name may say it.
CALLER_PARTS = ("views", "forms", "forms_admin", "tables", "filters", "admin", "api", "urls", "demo", "management")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


@cache
def imports(name: str) -> frozenset[tuple[str, str]]:
    """(module, imported name or "") for every import of ours in module `name`."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {(alias.name, "") for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            source = ".".join(part for part in (base, node.module) if part)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add((submodule, "") if submodule in modules() else (source, alias.name))
    return frozenset((module, what) for module, what in found if module in modules())


def depends_on(name: str) -> set[str]:
    return {module for module, _ in imports(name)} - {name}


def app_of(name: str) -> str:
    return ".".join(name.split(".")[:2])


def test_no_module_imports_itself_through_others():
    graph = {name: depends_on(name) for name in modules()}
    circles = []

    def walk(name: str, path: list[str], seen: set[str]) -> None:
        for other in graph[name]:
            if other == path[0]:
                circles.append([*path, other])
            elif other not in seen and other > path[0]:  # each circle once, from its smallest module
                seen.add(other)
                walk(other, [*path, other], seen)

    for name in graph:
        walk(name, [name], {name})
    assert circles == [], "import circles: " + "; ".join(" -> ".join(circle) for circle in circles)


def test_models_import_no_service_and_no_screen():
    wrong = {
        name: sorted(
            other for other in depends_on(name) if not other.endswith(".models") and other not in INFRASTRUCTURE
        )
        for name in modules()
        if name.endswith(".models")
    }
    assert {name: others for name, others in wrong.items() if others} == {}


def test_services_import_only_the_services_beneath_them():
    wrong = []
    for layer, name in enumerate(SERVICE_LAYERS):
        for other in depends_on(name):
            if other in SERVICE_LAYERS[layer + 1 :] or set(other.split(".")) & set(CALLER_PARTS):
                wrong.append(f"{name} imports {other}")
    assert wrong == []


def test_every_service_module_has_its_place_in_the_layers():
    services = {name for name in modules() if name.endswith(".services")}
    assert services <= set(SERVICE_LAYERS), f"add to SERVICE_LAYERS: {sorted(services - set(SERVICE_LAYERS))}"


def test_no_module_imports_a_private_name_of_another_app():
    wrong = [
        f"{name} imports {what} from {module}"
        for name in modules()
        for module, what in imports(name)
        if what.startswith("_") and app_of(module) != app_of(name)
    ]
    assert wrong == []
