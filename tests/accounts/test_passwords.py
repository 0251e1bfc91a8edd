"""R-SEC-2 (issue 15 item 4): passwords are stored as argon2id hashes with the recommended
parameters (RFC 9106, low-memory profile: 64 MiB, 3 passes, 4 lanes). Checked in a fresh
interpreter, as the service starts: the test process hashes with the smallest cost
(tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher, extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = """
import asyncio
from service.accounts import actions
stored = asyncio.run(actions.hash_password("Сирень-и-клён-2026"))
print(stored)
print(asyncio.run(actions._password_matches(stored, "Сирень-и-клён-2026")))
print(asyncio.run(actions._password_matches(stored, "сирень-и-клён-2026")))
"""


def test_the_service_hashes_passwords_with_argon2id_at_the_recommended_cost():
    out = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={"EZH_CONFIG": "/dev/null", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    stored, right, wrong = out.stdout.split()
    assert stored.startswith("$argon2id$")
    params = extract_parameters(stored)
    assert params.memory_cost >= RFC_9106_LOW_MEMORY.memory_cost  # 64 MiB
    assert params.time_cost >= RFC_9106_LOW_MEMORY.time_cost
    assert params.parallelism == RFC_9106_LOW_MEMORY.parallelism
    assert (right, wrong) == ("True", "False")
    assert PasswordHasher().verify(stored, "Сирень-и-клён-2026")  # a standard argon2 reads it
