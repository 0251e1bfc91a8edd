"""The diary on a phone in a real browser (issue 10: «a parent opens the diary on a phone in the
evening»): at 390 px nothing scrolls sideways and the text is readable without zooming; the
parent goes from the week to the finals and acknowledges the latest published period. Uses the
e2e live server (tests/e2e/conftest.py: `ezh serve` over the S demo school, Debian's
Chromium)."""

from __future__ import annotations

import re

import pytest

from service.demo import DEMO_PASSWORD
from tests.e2e.conftest import CHROMIUM_ARGS, browser, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):  # noqa: F811
    context = browser.new_context(locale="ru-RU", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    pg = context.new_page()
    yield pg
    context.close()


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px"
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main')).fontSize)")
    assert size >= 15, size


def test_a_parent_reads_the_diary_and_acknowledges_on_a_phone(phone, live_server):  # noqa: F811
    """R-DIARY-1, R-GRADE-6 on a 390 px screen."""
    phone.goto(live_server + "/login")
    phone.get_by_label("Логин").fill("roditel")
    phone.get_by_label("Пароль").fill(DEMO_PASSWORD)
    phone.get_by_role("button", name="Войти").click()
    phone.wait_for_url("**/home")
    phone.get_by_role("link", name="Дневник", exact=True).first.click()
    phone.wait_for_url(re.compile(r".*/diary/\d+$"))
    assert phone.locator(".d-lesson").count() > 0
    _fits(phone)
    phone.get_by_role("link", name="Оценки и итоги").click()
    phone.wait_for_url(re.compile(r".*/diary/\d+/finals$"))
    _fits(phone)
    button = phone.get_by_role("button", name="Ознакомлен(а)")
    if button.count():  # the demo leaves roditel's latest published period to press
        button.first.click()
        phone.wait_for_url(re.compile(r".*/finals#p\d+$"))
        assert phone.get_by_text(re.compile(r": ознакомлен\(а\) \d\d\.\d\d\.\d{4}")).count() > 0
    phone.locator(".d-subject-card h2 a").first.click()
    phone.wait_for_url(re.compile(r".*/diary/\d+/subject/[cg]\d+-s\d+$"))
    assert phone.get_by_text("Средний балл").count() > 0
    _fits(phone)
