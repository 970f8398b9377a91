"""``ImportReport``: what an import brought across, skipped as already there, and could not."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from autolog.migrate._records import Problem

#: the kinds counted, in the order the report lists them
KINDS = (
    "experiments", "runs", "params", "tags", "metric_points", "artifacts", "artifact_bytes",
    "models", "registered_models", "model_versions", "aliases",
)


@dataclass
class ImportReport:
    """Counts per kind (``imported``: written now; ``existing``: already there, left alone),
    the ``problems`` (an item not imported, and why), and ``notes`` (imported, with a remark:
    a model kept as plain artifacts, a stage that became an alias, ...)."""

    source: str
    target: str
    dry_run: bool = False
    imported: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was left behind."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "dry_run": self.dry_run,
            "imported": {k: self.imported[k] for k in KINDS},
            "existing": {k: self.existing[k] for k in KINDS},
            "problems": [{"kind": p.kind, "item": p.item, "reason": p.reason} for p in self.problems],
            "notes": list(self.notes),
        }

    def format(self) -> str:
        """The report as text for people."""
        verb = "would import" if self.dry_run else "imported"
        lines = [f"MLflow import from {self.source} into {self.target}" + (" (dry run: nothing written)" if self.dry_run else "")]
        width = max(len(k) for k in KINDS)
        lines.append(f"  {'kind'.ljust(width)}  {verb:>13}  already there")
        for kind in KINDS:
            lines.append(f"  {kind.ljust(width)}  {self.imported[kind]:>13}  {self.existing[kind]:>13}")
        if self.notes:
            lines.append(f"notes ({len(self.notes)}):")
            lines += [f"  - {note}" for note in self.notes]
        if self.problems:
            lines.append(f"not imported ({len(self.problems)}):")
            lines += [f"  - {p.kind} {p.item}: {p.reason}" for p in self.problems]
        else:
            lines.append("everything was imported" if not self.dry_run else "nothing stands in the way")
        return "\n".join(lines)
