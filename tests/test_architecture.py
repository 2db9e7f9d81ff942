"""The direction of the project's apps (docs/architecture.md), checked in all
three places a dependency can hide: imports, model relations (foreign keys,
many-to-many, string references included) and migration dependencies.

An app may depend on itself and on apps in lower layers, never on its own layer
or above. A back edge anywhere fails the suite; the last tests show that each
check does catch one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db.migrations.loader import MigrationLoader

ROOT = Path(__file__).resolve().parent.parent

# Lower numbers are lower layers. pollcrew's helpers (collation, phones, db,
# refusals…) are at the bottom; its wiring modules see everything.
LAYERS: dict[str, int] = {
    "pollcrew": 0,
    "notifications": 1,
    "accounts": 2,
    "polling_stations": 3,
    "volunteers": 3,
    "elections": 4,
    "staffing": 5,
    "documents": 6,
    "portal": 6,
    "administration": 6,
    "api": 6,
    "exchange": 6,
    "autoassign": 6,
    "bench": 7,
}
WIRING = {"pollcrew/urls.py", "pollcrew/settings.py", "pollcrew/celery.py"}


def allowed(source: str, target: str) -> bool:
    if target not in LAYERS or source == target:
        return True  # Django, third-party, or the app itself
    return LAYERS[target] < LAYERS[source]


# --- imports -------------------------------------------------------------------


def imported_apps(source: str) -> set[str]:
    """Top-level packages imported by ``source``, including import_module("x.y")
    and apps.get_model("app", …) with literal names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            first = node.args[0]
            literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
            if name in ("import_module", "get_model") and literal:
                found.add(first.value.split(".")[0])
    return found


def import_offenders(package: str, source: str, where: str) -> list[str]:
    bad = sorted(t for t in imported_apps(source) if not allowed(package, t))
    return [f"{where} imports {bad}"] if bad else []


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_imports_run_one_way(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "migrations" in path.parts or relative in WIRING:
            continue
        offenders += import_offenders(package, path.read_text(), relative)
    assert not offenders, "\n".join(offenders)


# --- model relations -----------------------------------------------------------


def relation_offenders() -> list[str]:
    offenders = []
    for model in apps.get_models(include_auto_created=True):
        source = model._meta.app_label
        if source not in LAYERS:
            continue
        for field in model._meta.get_fields(include_hidden=True):
            if field.auto_created and not field.concrete:
                continue  # the reverse side of someone else's relation
            target_model = getattr(field, "related_model", None)
            if target_model is None or isinstance(target_model, str):
                continue
            target = target_model._meta.app_label
            if not allowed(source, target):
                offenders.append(f"{model._meta.label}.{field.name} → {target_model._meta.label}")
    return offenders


def test_relations_run_one_way():
    assert not relation_offenders(), "\n".join(relation_offenders())


# --- migrations -----------------------------------------------------------------


def migration_offenders(graph_nodes: dict[tuple[str, str], object]) -> list[str]:
    offenders = []
    for (app_label, name), migration in graph_nodes.items():
        if app_label not in LAYERS:
            continue
        for dep_app, _dep_name in migration.dependencies:
            if not allowed(app_label, dep_app):
                offenders.append(f"{app_label}.{name} depends on {dep_app}")
        for before_app, _before_name in getattr(migration, "run_before", []):
            if not allowed(before_app, app_label):
                offenders.append(f"{app_label}.{name} runs before {before_app}")
    return offenders


def test_migrations_run_one_way():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    offenders = migration_offenders(loader.disk_migrations)
    assert not offenders, "\n".join(offenders)


def test_every_project_app_has_a_layer():
    project = {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == ROOT
    }
    assert project <= set(LAYERS), project - set(LAYERS)


# --- the checks catch back edges -------------------------------------------------------


def test_import_check_catches_a_back_edge():
    assert import_offenders("elections", "from staffing.models import Assignment", "x.py")
    assert import_offenders("notifications", "import volunteers.models", "x.py")
    assert import_offenders("volunteers", "apps.get_model('elections', 'Shift')", "x.py")
    assert import_offenders("polling_stations", "from volunteers import services", "x.py")
    assert not import_offenders("staffing", "from elections.models import Shift", "x.py")
    assert not import_offenders("staffing", "from django.db import models", "x.py")


def test_relation_check_catches_a_back_edge(monkeypatch):
    """A notifications model pointing at volunteers (as Message once did)."""
    from django.db import models

    class BadMessage(models.Model):
        volunteer = models.ForeignKey("volunteers.Volunteer", on_delete=models.CASCADE)

        class Meta:
            app_label = "notifications"

        def __str__(self) -> str:
            return "bad"

    try:
        assert "notifications.BadMessage.volunteer → volunteers.Volunteer" in relation_offenders()
    finally:
        del apps.all_models["notifications"]["badmessage"]
        apps.clear_cache()


def test_migration_check_catches_a_back_edge():
    class Fake:
        dependencies = [("elections", "0001_initial"), ("auth", "0012")]
        run_before: list = []

    assert migration_offenders({("volunteers", "0001_initial"): Fake()}) == [
        "volunteers.0001_initial depends on elections"
    ]
    assert migration_offenders({("staffing", "0001_initial"): Fake()}) == []
