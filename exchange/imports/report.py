"""The row-level report of a dry run or a commit: what each row does (created,
updated, unchanged, refused), why a row is refused (per field), the counts, and
the refused rows as a CSV to correct and upload again.

Stored as JSON on the job. Every refused row is kept (with its cells, for the
CSV); of the others the first ``SHOWN`` are, for the page, while the counts
cover all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy

from exchange.imports.readers import Cell, cell_text

CREATED, UPDATED, UNCHANGED, REFUSED = "created", "updated", "unchanged", "refused"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, REFUSED)
OUTCOME_LABELS = {
    CREATED: gettext_lazy("created"),
    UPDATED: gettext_lazy("updated"),
    UNCHANGED: gettext_lazy("unchanged"),
    REFUSED: gettext_lazy("refused"),
}
SHOWN = 500  # rows other than refused ones kept for the page
ROW = "row"  # a problem about the row as a whole, not one field


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    rows: list[dict[str, Any]] = field(default_factory=list)
    shown: int = 0
    # Each line's outcome and label, for ``refuse`` (not stored).
    outcomes: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)

    def add(
        self,
        line: int,
        outcome: str,
        label: str = "",
        *,
        problems: list[tuple[str, str]] | None = None,
        changed: list[str] | None = None,
        cells: list[Cell] | None = None,
    ) -> None:
        self.counts[outcome] += 1
        self.outcomes[line] = (outcome, label)
        if outcome != REFUSED:
            if self.shown >= SHOWN:
                return
            self.shown += 1
        item: dict[str, Any] = {"line": line, "outcome": outcome, "label": label}
        if problems:
            item["problems"] = [[f, str(m)] for f, m in problems]
        if changed:
            item["changed"] = changed
        if outcome == REFUSED and cells is not None:
            item["cells"] = [cell_text(c) for c in cells]
        self.rows.append(item)

    def refuse(self, line: int, problems: list[tuple[str, str]], cells: list[Cell]) -> None:
        """A line the check let through but the writing refused after all: counted
        and shown as refused instead."""
        outcome, label = self.outcomes.get(line, (None, ""))
        if outcome == REFUSED:
            return
        if outcome is not None:
            self.counts[outcome] -= 1
            kept = [r for r in self.rows if r["line"] != line]
            self.shown -= len(self.rows) - len(kept)
            self.rows = kept
        self.add(line, REFUSED, label, problems=problems, cells=cells)

    def as_json(self) -> dict[str, Any]:
        self.rows.sort(key=lambda r: r["line"])
        return {"counts": self.counts, "rows": self.rows}

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def refused_csv_rows(
    report: dict[str, Any], table_headers: list[str], labels: dict[str, str]
) -> Iterator[list[str]]:
    """Line, the row's cells as in the file, and the reasons ("Field: message; …")."""
    for item in report.get("rows", []):
        if item["outcome"] != REFUSED:
            continue
        reasons = "; ".join(
            (f"{labels.get(f, f)}: {m}" if f != ROW else m) for f, m in item.get("problems", [])
        )
        cells = item.get("cells", [])
        yield [str(item["line"]), *cells, *[""] * (len(table_headers) - len(cells)), reasons]
