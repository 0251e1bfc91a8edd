"""Operations: maintenance window, planned maintenance, availability, paper fallback."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Администрирование"
PAPER = ("people.view_all", "people.view_class", "people.view_taught")

DOMAIN = Domain(
    name="ops",
    position=85,  # reads school and people (the paper journal), above them
    routes="service.ops.routes:router",
    piccolo_app="service.ops.piccolo_app",
    rights=(
        Right("ops.view", "Видеть обслуживание: резервные копии, проверки восстановления, "
                          "регламентные работы, доступность", SECTION, ("admin",)),
        Right("ops.maintenance", "Назначать и отменять длительные регламентные работы", SECTION,
              ("admin",), includes=("ops.view",)),
    ),
    audit_actions={
        "ops.maintenance_planned": "Назначены длительные регламентные работы",
        "ops.maintenance_cancelled": "Отменены длительные регламентные работы",
    },
    menu=(
        MenuEntry("/ops", "Обслуживание", ("ops.view",), position=95),
    ),
    home_cards=(
        HomeCard("/ops", "Обслуживание", "Резервные копии, проверки восстановления, ночные "
                 "работы, доступность", ("ops.view",), position=95),
        HomeCard("/paper", "Бумажный журнал", "Бланки на неделю на случай, если журнал "
                 "недоступен", PAPER, position=97),
    ),
)
