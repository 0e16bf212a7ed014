"""Screenshots of the reports people read, for a person to look at: a small drifted report (scikit-learn's
breast-cancer data, 219-row window), the same data without drift, and the 200-feature report; each opened in
headless Chromium with the browser check's rules (no console error, exception or request). PNGs land in
test-artifacts/screens/ (git-ignored). `python -m tests.browser.report_screenshots`."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from tests.analyzer.widegen import wide_report
from tests.browser.report_in_chromium import ARTIFACTS, Browser
from tests.browser.scenarios import breast_cancer_report

SCREENS = ARTIFACTS / "screens"


async def main() -> int:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        print("chromium not found (make test-browser installs Debian's chromium)", file=sys.stderr)
        return 2
    failed = False
    with tempfile.TemporaryDirectory(prefix="mm-screens-") as tmp:
        root = Path(tmp)
        pages = {"small-drift": breast_cancer_report(root / "drift", drift=True).report,
                 "small-no-drift": breast_cancer_report(root / "clean", drift=False).report,
                 "large-200": wide_report(root / "wide")[1]}
        async with Browser(binary) as browser:
            for name, report in pages.items():
                # The first screen as a reader sees it (and the plots), then the whole page where it is short.
                page = await browser.check(report.as_uri(), SCREENS / f"{name}.png", scroll_to=".grid")
                if not name.startswith("large"):
                    await browser.check(report.as_uri(), SCREENS / f"{name}-full.png", full_page=True)
                print(f"{name}: {page.svg_count} plots, loaded in {page.load_ms:.0f} ms, clean={page.clean}, "
                      f"sideways overflow {page.overflow_px} px")
                failed |= not page.clean or page.overflow_px > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
