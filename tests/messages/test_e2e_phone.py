"""Messages on a phone in a real browser (issue 10: «a parent writes to the class teacher and
sees when the message was read and answered»): at 390 px the parent writes from the diary's
«написать» link, the class teacher sees the unread count next to «Сообщения» (fetched by
htmx after the page), opens and answers; the parent then sees «Прочитано» and the answer time.
Nothing scrolls sideways. Uses the e2e live server over the S demo school and Debian's Chromium."""

from __future__ import annotations

import re

import pytest

from service.demo import DEMO_PASSWORD
from tests.diary.test_e2e_phone import PHONE, _fits
from tests.e2e.conftest import CHROMIUM_ARGS, browser, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e


def _phone(browser):  # noqa: F811
    context = browser.new_context(locale="ru-RU", viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    return context, context.new_page()


def _sign_in(page, base: str, login: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Логин").fill(login)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/home")


def test_a_parent_writes_to_the_class_teacher_and_sees_it_read_and_answered(browser, live_server):  # noqa: F811
    parent_ctx, parent = _phone(browser)
    teacher_ctx, teacher = _phone(browser)
    try:
        _sign_in(parent, live_server, "roditel")
        parent.goto(live_server + "/messages/new")
        _fits(parent)
        choice = parent.locator("#f-to option", has_text="Классный руководитель").first
        parent.select_option("#f-to", value=choice.get_attribute("value"))
        parent.get_by_label("Тема").fill("Проверка с телефона")
        parent.get_by_label("Сообщение").fill("Добрый вечер! Завтра заберу ребёнка после третьего урока.")
        parent.get_by_role("button", name="Отправить").click()
        parent.wait_for_url(re.compile(r".*/messages/\d+$"))
        thread = parent.url
        assert parent.get_by_text("Ещё не прочитано").count() == 1
        _fits(parent)

        _sign_in(teacher, live_server, "klruk")
        badge = teacher.locator("nav.main-nav .badge.count")
        badge.wait_for()
        unread = int(badge.inner_text())
        assert unread >= 1
        teacher.get_by_role("link", name=re.compile("^Сообщения")).click()
        teacher.get_by_role("link", name=re.compile("Проверка с телефона")).click()
        teacher.wait_for_url(thread)
        teacher.get_by_label("Ответ").fill("Хорошо, предупрежу учителя.")
        teacher.get_by_role("button", name="Отправить").click()
        teacher.wait_for_url(re.compile(r".*/messages/\d+#m\d+$"))
        teacher.wait_for_timeout(300)  # the badge is fetched after the page
        left = teacher.locator("nav.main-nav .badge.count")
        assert (int(left.inner_text()) if left.count() else 0) == unread - 1

        parent.goto(thread)
        assert parent.get_by_text(re.compile(r"Прочитано \d\d\.\d\d\.\d{4} \d\d:\d\d · ответ")).count() == 1
        assert parent.get_by_text("Хорошо, предупрежу учителя.").count() == 1
        _fits(parent)
    finally:
        parent_ctx.close()
        teacher_ctx.close()
