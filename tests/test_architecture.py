"""The layout's rules (issue 3 item 2): domains import only to their left; archive/ and
backups/ import nothing from service/ — checked by import-linter on the real tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    out = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Contracts: 3 kept, 0 broken" in out.stdout


def test_no_page_loads_anything_from_the_internet():
    offenders = []
    for path in [*ROOT.joinpath("templates").rglob("*.html"), *ROOT.joinpath("static").rglob("*.css")]:
        text = path.read_text(encoding="utf-8")
        for marker in ('src="http', "src='http", 'href="http', "href='http", "url(http", "@import url"):
            if marker in text:
                offenders.append(f"{path.relative_to(ROOT)}: {marker}")
    assert offenders == []


def test_code_passes_the_linter():
    # No cache: a cache from an earlier run once hid an unsorted import that a clean clone caught.
    out = subprocess.run([str(Path(sys.executable).parent / "ruff"), "check", "--no-cache",
                          "service", "archive",
                          "backups", "tests", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
