"""Only the kernel writes audit entries: everything else goes through the write path
(crm_core.kernel.writepath), so no change escapes its validation, permission and trail."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KERNEL = ROOT / "crm_core" / "kernel"
SKIPPED = {"tests", "migrations", ".venv", "node_modules"}


def _mentions_audit_entry(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id == "AuditEntry")
        or (isinstance(n, ast.Attribute) and n.attr in ("AuditEntry", "audit_entries"))
        or (isinstance(n, ast.Constant) and n.value == "audit_entries")
        for n in ast.walk(node)
    )


def _writes(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        return module.endswith("kernel.audit") and any(a.name == "record" for a in node.names)
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name == "record" and isinstance(func, ast.Attribute):
        return ast.unparse(func.value).endswith("audit")
    if name in ("insert", "add", "add_all", "bulk_insert_mappings") and node.args:
        return _mentions_audit_entry(node.args[0])
    return name == "AuditEntry"


def audit_writes(source: str) -> list[int]:
    """Lines that call audit.record, import it, construct an AuditEntry or insert into its
    table (a read, `select(AuditEntry...)`, is fine)."""
    return sorted({node.lineno for node in ast.walk(ast.parse(source)) if _writes(node)})


def test_nothing_outside_the_kernel_writes_an_audit_entry() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(ROOT.rglob("*.py"))
        if not SKIPPED & set(path.relative_to(ROOT).parts) and KERNEL not in path.parents
        for line in audit_writes(path.read_text())
    ]
    assert found == [], "write audit entries through crm_core.kernel.writepath: " + str(found)


def test_the_check_catches_each_way_of_writing_one() -> None:
    # The check broken on purpose: each of these is how a module could bypass the write path.
    assert audit_writes("audit.record(s, 1, 'customer', 2, 'update')") == [1]
    assert audit_writes("from crm_core.kernel.audit import record") == [1]
    assert audit_writes("s.add(AuditEntry(entity='customer'))") == [1]
    assert audit_writes("s.execute(insert(AuditEntry).values(entity='x'))") == [1]
    assert audit_writes("s.execute(insert(models.AuditEntry.__table__))") == [1]
    assert audit_writes("s.execute(select(AuditEntry.id).where(AuditEntry.entity == 'x'))") == []
    assert audit_writes("writepath.record_event(s, actor, Entity.IMPORT, 1, 'create')") == []
