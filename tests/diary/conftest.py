"""Every diary test acts on the journal tests' fixed school day (Wednesday 25 November 2026,
in the second quarter), whatever the date on the machine."""

import pytest

from service.journal import access
from tests.journal.factories import TODAY


@pytest.fixture(autouse=True)
def diary_today(monkeypatch):
    monkeypatch.setattr(access, "school_today", lambda: TODAY)
    return TODAY
