"""Every messages test acts on a fixed school day (Wednesday 25 November 2026), whatever the
date on the machine: who teaches whom is read for that day."""

from datetime import date

import pytest

from service.journal import access

TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def messages_today(monkeypatch):
    monkeypatch.setattr(access, "school_today", lambda: TODAY)
    return TODAY
