"""The playbook passes ansible-lint's production profile (issue 14 item 6): no Galaxy
collections, named tasks, idempotent commands, modes on files, and so on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_playbook_passes_ansible_lint_production_profile():
    lint = Path(sys.executable).parent / "ansible-lint"
    done = subprocess.run([str(lint), "--profile", "production", "--offline", "--nocolor"],
                          cwd=ROOT / "provisioning", capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "Profile 'production' was required, and it passed" in done.stdout + done.stderr
