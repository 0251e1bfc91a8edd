"""The school: academic years, classes, subjects, staff posts, teaching load, enrolments."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Учебный год и структура школы"
SEE = ("school.setup", "school.view")

DOMAIN = Domain(
    name="school",
    position=30,
    routes="service.school.routes:router",
    piccolo_app="service.school.piccolo_app",
    home="service.school.home:home_context",
    rights=(
        Right("school.setup", "Настраивать учебный год: календарь, предметы, классы, группы, нагрузку",
              SECTION, ("deputy", "admin"), includes=("school.view",)),
        Right("school.view", "Видеть календарь, классы, группы и нагрузку школы", SECTION,
              ("deputy", "admin", "secretary")),
    ),
    audit_actions={
        "school.demo_generated": "Создана демонстрационная школа",
        "school.year_created": "Создан учебный год",
        "school.year_made_current": "Учебный год сделан текущим",
        "school.period_added": "Добавлен учебный период",
        "school.period_changed": "Изменён учебный период",
        "school.day_added": "Добавлены каникулы, праздник или перенос дня",
        "school.day_changed": "Изменены каникулы, праздник или перенос дня",
        "school.subject_created": "Добавлен предмет",
        "school.subject_changed": "Изменён предмет",
        "school.class_created": "Создан класс",
        "school.class_changed": "Изменён класс",
        "school.group_created": "Создана группа",
        "school.load_added": "Добавлена учебная нагрузка",
        "school.load_changed": "Изменена учебная нагрузка",
        "school.load_ended": "Закончена учебная нагрузка",
    },
    menu=(
        MenuEntry("/school/years", "Учебный год", SEE, position=15, also_current=("/school/",)),
    ),
    home_cards=(
        HomeCard("/school/years", "Учебный год", "Календарь, периоды и каникулы, классы, группы, предметы, "
                 "учебная нагрузка", SEE, position=15),
    ),
)
