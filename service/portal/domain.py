"""The portal: each role's home page, and the sections that have no domain of their own yet
(the school summary)."""

from service.domains import Domain, HomeCard, MenuEntry, Right

DOMAIN = Domain(
    name="portal",
    position=90,
    routes="service.portal.routes:router",
    rights=(
        Right("reports.aggregate", "Сводные показатели школы без персональных данных", "Отчёты",
              ("observer", "deputy", "admin")),
        Right("school.readiness", "Страница «Готовность школы»", "Учебный год",
              ("deputy", "admin", "secretary")),
    ),
    menu=(
        MenuEntry("/home", "Главная", position=0),
        MenuEntry("/stats", "Сводка", ("reports.aggregate",), position=30),
    ),
    home_cards=(
        HomeCard("/stats", "Сводка", "Классы и ученики по параллелям", ("reports.aggregate",),
                 position=30),
        HomeCard("/readiness", "Готовность школы",
                 "Что из списка настройки журнала сделано и что осталось", ("school.readiness",),
                 position=10),
    ),
)
