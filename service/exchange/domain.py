"""Import and export of the school's lists: pupils, parents, staff, subjects, classes,
teaching load (CSV, XLSX, ODS)."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Импорт и экспорт"

DOMAIN = Domain(
    name="exchange",
    position=80,
    routes="service.exchange.routes:router",
    rights=(
        Right("exchange.import", "Загружать списки из файлов (ученики, родители, сотрудники, "
              "предметы, классы, нагрузка)", SECTION, ("admin", "deputy", "secretary")),
        Right("exchange.export", "Выгружать списки школы в файлы", SECTION,
              ("admin", "deputy", "secretary")),
    ),
    audit_actions={
        "exchange.student_imported": "Загружен ученик (с зачислением в класс)",
        "exchange.parent_imported": "Загружен родитель (со связью с ребёнком)",
        "exchange.staff_imported": "Загружен сотрудник (с должностью)",
        "exchange.subject_imported": "Загружен предмет",
        "exchange.class_imported": "Загружен класс",
        "exchange.load_imported": "Загружена строка учебной нагрузки",
    },
    menu=(
        MenuEntry("/exchange", "Импорт и экспорт", ("exchange.import", "exchange.export"),
                  position=65),
    ),
    home_cards=(
        HomeCard("/exchange", "Импорт и экспорт", "Загрузить списки из таблиц и выгрузить их",
                 ("exchange.import", "exchange.export"), position=65),
    ),
)
