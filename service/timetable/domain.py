"""The timetable: bells, rooms, weekly timetables with A/B weeks, dated lessons, changes for a
date (substitutions, combining, cancellations, moves), home schooling, calendar feeds."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Расписание"

DOMAIN = Domain(
    name="timetable",
    position=50,  # after school, people and orders, which it reads
    routes="service.timetable.routes:router",
    piccolo_app="service.timetable.piccolo_app",
    rights=(
        Right("timetable.edit", "Составлять расписание: звонки, кабинеты, версии расписания, уроки "
              "по неделям A/B", SECTION, ("deputy", "admin"), includes=("timetable.view",)),
        Right("timetable.changes", "Вносить изменения на дату: замены, совмещения, отмены, "
              "переносы, смену кабинета; отмечать отсутствие учителей", SECTION, ("deputy",),
              includes=("timetable.view",)),
        Right("timetable.home", "Оформлять надомное и семейное обучение и индивидуальное "
              "расписание ученика", SECTION, ("deputy",), includes=("timetable.view",)),
        Right("timetable.view", "Видеть расписание всех классов, учителей и кабинетов", SECTION,
              ("deputy", "admin", "secretary", "teacher", "class_teacher")),
    ),
    audit_actions={
        "timetable.room_created": "Добавлен кабинет",
        "timetable.room_changed": "Изменён кабинет",
        "timetable.bells_created": "Создано расписание звонков",
        "timetable.bells_changed": "Изменено расписание звонков",
        "timetable.day_set": "Задан особый день (звонки или день недели по расписанию)",
        "timetable.day_cleared": "Особый день отменён",
        "timetable.version_created": "Создана версия расписания",
        "timetable.version_changed": "Изменена версия расписания (недели A/B, название)",
        "timetable.slot_added": "Урок добавлен в расписание",
        "timetable.slot_changed": "Урок в расписании изменён",
        "timetable.slot_removed": "Урок убран из расписания",
        "timetable.week_copied": "Неделя расписания скопирована",
        "timetable.lessons_made": "Уроки по расписанию созданы на даты",
        "timetable.absence_recorded": "Отмечено отсутствие учителя",
        "timetable.absence_ended": "Отсутствие учителя изменено или снято",
        "timetable.lesson_replaced": "Замена учителя на уроке",
        "timetable.lesson_combined": "Совмещение: учитель ведёт две группы",
        "timetable.lesson_cancelled": "Урок отменён",
        "timetable.lesson_restored": "Изменение урока отменено",
        "timetable.lesson_room_changed": "Урок перенесён в другой кабинет",
        "timetable.lesson_added": "Добавлен урок на дату",
        "timetable.lesson_moved": "Урок перенесён на другое время",
        "timetable.home_started": "Оформлено надомное или семейное обучение",
        "timetable.home_changed": "Изменено надомное или семейное обучение",
        "timetable.feed_created": "Создана ссылка на календарь расписания",
        "timetable.feed_revoked": "Ссылка на календарь расписания отозвана",
    },
    menu=(
        MenuEntry("/timetable", "Расписание", (), position=25, also_current=("/timetable/",)),
    ),
    home_cards=(
        HomeCard("/timetable/setup", "Составление расписания",
                 "Звонки, кабинеты, версии расписания, сетка по классам и учителям, недели A/B",
                 ("timetable.edit",), position=20),
        HomeCard("/timetable/changes", "Изменения и замены",
                 "Отсутствующие учителя, замены и совмещения, отмены и переносы на дату",
                 ("timetable.changes",), position=21),
        HomeCard("/timetable/home", "Надомное и семейное обучение",
                 "Ученики на надомном и семейном обучении, приказы, индивидуальное расписание",
                 ("timetable.home",), position=22),
    ),
)
