"""The archive's tests ask for what a request answers when its work ends within the request
(a class's batch, a small school's seal), whatever the load of the test machine: the request
waits for its job as long as it takes. ``tests/records/test_jobs.py`` sets the other case, a
request that waits for nothing."""

from __future__ import annotations

import pytest

from service.records import jobs


@pytest.fixture(autouse=True)
def _requests_wait_for_their_jobs(monkeypatch):
    monkeypatch.setattr(jobs, "WAIT", 3600.0)
