"""R-ROLE-1, R-PLAT-1/2: a person of every role signs in with a real browser and lands on
their own Russian home page; a wrong password is answered on the form; logging out works."""

from __future__ import annotations

import pytest

from service.demo import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

HOMES = [
    ("admin", "Администратор"),
    ("zavuch", "Завуч"),
    ("uchitel", "Учитель"),
    ("klruk", "Классный руководитель"),
    ("sekretar", "Секретарь"),
    ("arhivist", "Архивист"),
    ("nablyudatel", "Наблюдатель"),
    ("roditel", "Родитель"),
    ("uchenik", "Ученик"),
]


@pytest.mark.parametrize(("login", "heading"), HOMES)
def test_each_role_lands_on_its_home(live_server, page, login, heading):
    page.goto(live_server + "/")
    assert page.url.endswith("/login")
    page.get_by_label("Логин").fill(login)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/home")
    assert page.locator("h1").first.inner_text().strip().startswith(heading)
    assert page.locator("html").get_attribute("lang") == "ru"
    page.get_by_role("button", name="Выйти").click()
    page.wait_for_url("**/login")


def test_wrong_password_is_answered_on_the_form(live_server, page):
    page.goto(live_server + "/login")
    page.get_by_label("Логин").fill("uchitel")
    page.get_by_label("Пароль").fill("не тот пароль")
    page.get_by_role("button", name="Войти").click()
    assert page.get_by_text("Неверный логин или пароль").is_visible()
    assert page.get_by_label("Логин").input_value() == "uchitel"
