"""The class journal: lessons (topic, material, homework), attendance, grades in the school's
grading systems, finals and forecasts, locks and corrections, thematic plans (КТП)."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Журнал"

DOMAIN = Domain(
    name="journal",
    position=60,  # after the timetable, whose lessons it fills
    routes="service.journal.routes:router",
    piccolo_app="service.journal.piccolo_app",
    on_migrate="service.journal.defaults:do_ensure_defaults",
    rights=(
        Right("journal.teach", "Вести журнал своих уроков: посещаемость, отметки, темы, домашние "
              "задания, итоговые отметки своих предметов, КТП", SECTION,
              # the secretary issues teachers' invitation slips, so holds what a teacher's
              # role holds; without lessons of her own it gives her nothing to write
              ("teacher", "class_teacher", "secretary")),
        Right("journal.class", "Классному руководителю: видеть журналы своего класса, отмечать "
              "причины пропусков по справкам", SECTION, ("class_teacher", "secretary")),
        Right("journal.view", "Видеть журналы всех классов и групп", SECTION,
              ("deputy", "admin")),
        Right("journal.edit", "Исправлять записи в любом журнале (с указанием причины)", SECTION,
              ("deputy",), includes=("journal.view",)),
        Right("journal.approve", "Утверждать исправления в закрытых записях, закрывать и "
              "открывать периоды", SECTION, ("deputy",), includes=("journal.view",)),
        Right("journal.settings", "Настраивать журнал: системы оценивания, виды работ и веса, "
              "сроки, правила исправлений и видимости итоговых", SECTION, ("deputy", "admin"),
              includes=("journal.view",)),
    ),
    audit_actions={
        "journal.cell_saved": "Запись в клетке журнала (посещаемость, отметки)",
        "journal.grade_changed": "Изменены вид работы или комментарий к отметке",
        "journal.entry_saved": "Записаны тема, пройденный материал или домашнее задание урока",
        "journal.homework_individual": "Индивидуальное домашнее задание",
        "journal.file_added": "К домашнему заданию приложен файл",
        "journal.file_removed": "Файл домашнего задания убран",
        "journal.attendance_saved": "Посещаемость урока отмечена",
        "journal.note_added": "Причина пропуска по справке или записке",
        "journal.note_removed": "Причина пропуска по справке снята",
        "journal.final_saved": "Итоговая отметка выставлена или изменена",
        "journal.period_closed": "Период закрыт",
        "journal.period_reopened": "Период открыт снова",
        "journal.correction_asked": "Запрошено исправление закрытой записи",
        "journal.correction_approved": "Исправление утверждено и внесено",
        "journal.correction_rejected": "Исправление отклонено",
        "journal.settings_changed": "Изменены правила журнала",
        "journal.system_saved": "Система оценивания создана или изменена",
        "journal.rule_saved": "Правило выбора системы оценивания",
        "journal.work_kind_saved": "Вид работы создан или изменён",
        "journal.defaults_created": "Созданы системы оценивания и виды работ по умолчанию",
        "journal.plan_imported": "Загружено календарно-тематическое планирование",
    },
    menu=(
        MenuEntry("/journal", "Журнал", ("journal.teach", "journal.class", "journal.view"),
                  position=18, also_current=("/journal/",)),
    ),
    home_cards=(
        HomeCard("/journal/today", "Мои уроки сегодня",
                 "Посещаемость, темы, домашние задания и отметки уроков дня",
                 ("journal.teach",), position=10),
        HomeCard("/journal/plans", "КТП и выполнение программы",
                 "Календарно-тематическое планирование: загрузка, часы по плану и проведённые уроки",
                 ("journal.teach", "journal.view"), position=22),
        HomeCard("/journal/finals", "Итоговые отметки",
                 "Прогноз и итоговые по периодам, просроченные, закрытие периодов",
                 ("journal.approve",), position=23),
        HomeCard("/journal/corrections", "Исправления",
                 "Исправления закрытых записей, ожидающие утверждения",
                 ("journal.approve",), position=24),
        HomeCard("/journal/settings", "Правила журнала",
                 "Системы оценивания, виды работ и веса, сроки внесения, исправления",
                 ("journal.settings",), position=25),
    ),
    home="service.journal.home:home",
)
