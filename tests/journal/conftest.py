"""Every journal test acts on one fixed school day (``factories.TODAY``), whatever the date on
the machine: the rules about past, future and locked lessons depend on it."""

import pytest

from service.journal import access
from tests.journal.factories import TODAY


@pytest.fixture(autouse=True)
def journal_today(monkeypatch):
    monkeypatch.setattr(access, "school_today", lambda: TODAY)
    return TODAY
