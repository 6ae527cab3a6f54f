"""The rules do not depend on what delivers: nothing in backend/domain/ imports backend/notify/
(the outbox's event kinds live in backend/domain/outbox.py; the notifier reads them)."""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "backend" / "domain"


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_domain_never_imports_notify() -> None:
    modules = sorted(DOMAIN.glob("*.py"))
    assert modules
    offenders = {
        path.name: sorted(n for n in imported(path) if n.split(".")[:2] == ["backend", "notify"])
        for path in modules
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_notify_reads_the_event_kinds_from_the_rules() -> None:
    from backend.domain.outbox import EventKind
    from backend.notify import worker

    assert worker.EventKind is EventKind
