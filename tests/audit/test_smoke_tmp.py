import pytest

from service.audit.log import Actor, record
from service.audit.verify import verify_chain
from service.db import atomic

pytestmark = pytest.mark.anyio


async def test_record_and_verify(db):
    async with atomic():
        await record(Actor.system(), "x.y", "t", 1, new={"a": 1})
    async with atomic():
        await record(Actor.system(), "x.y", "t", 2, old={"a": 1}, new={"a": "б"})
    result = await verify_chain()
    assert result.ok, result.problem
    assert result.count >= 3
