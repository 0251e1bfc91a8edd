"""The administrator's log pages in a real browser under the page's own Content-Security-Policy:
htmx «Показать ещё» appends the next rows and the browser reports no blocked resource."""

from __future__ import annotations

import pytest

from service.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


def test_access_log_more_rows_with_htmx(live_server, browser):
    page = browser.new_context(locale="ru-RU").new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(live_server + "/login")
    page.get_by_label("Логин").fill("admin")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/home")
    page.goto(live_server + "/classes")
    class_url = page.locator("table a[href^='/classes/']").first.get_attribute("href")
    for _ in range(5):  # each view logs one row per pupil (≈ 25)
        page.goto(live_server + class_url)
    page.goto(live_server + "/admin/access-log")
    rows = page.locator("#access-rows > tr")
    before = rows.count()
    assert before >= 100
    page.get_by_text("Показать ещё").click()
    # a locator, not wait_for_function: its string predicate is an eval, which the page's CSP forbids
    page.locator(f"#access-rows > tr >> nth={before}").wait_for()
    assert rows.count() > before
    assert "список класса" in page.locator("#access-rows").inner_text()
    assert problems == [], problems
    page.context.close()
