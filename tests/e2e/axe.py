"""axe-core in the browser tests: WCAG 2.1 A and AA checks on a page as it is now."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@cache
def _axe_source() -> str:
    return AXE.read_text() + "\n;true"


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core on the page as it is now; the WCAG 2.1 A and AA rules only."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as a <script>: the
        # page's CSP (rightly) refuses inline scripts, and the test must not
        # weaken it to look at the page.
        page.evaluate(_axe_source())
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
            }));
        }""",
        WCAG_AA,
    )


def report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"      {node['target']}  — {summary[:300]}")
    return "\n".join(lines)


class Audit:
    """Checkpoints on a journey through several pages: each one runs axe and takes a
    screenshot; ``done()`` fails with every page's violations at once."""

    def __init__(self, screenshot: Callable[[Page, str], Path], prefix: str) -> None:
        self.screenshot = screenshot
        self.prefix = prefix
        self.found: dict[str, list[dict]] = {}

    def check(self, page: Page, name: str) -> None:
        self.screenshot(page, f"a11y-{self.prefix}-{name}")
        violations = axe_violations(page)
        if violations:
            self.found[name] = violations

    def done(self) -> None:
        if self.found:
            pytest.fail(
                "axe-core found WCAG 2.1 AA violations:\n"
                + "\n".join(
                    f"{name} ({self.prefix}):\n{report(violations)}"
                    for name, violations in self.found.items()
                )
            )
