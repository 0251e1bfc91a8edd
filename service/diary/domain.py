"""The diary (issue 10, R-DIARY-1): what a pupil and their parents read without asking staff —
the week's lessons with topics, homework, files, grades, absences and timetable changes, a page
per subject with the weighted average, forecast and finals, and the parents' acknowledgement of
finals (R-GRADE-6) that the class teacher and the administration follow."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Дневник"

DOMAIN = Domain(
    name="diary",
    position=70,  # after the journal, which it reads
    routes="service.diary.routes:router",
    piccolo_app="service.diary.piccolo_app",
    rights=(
        Right("diary.own", "Видеть свой дневник (ученику) или дневники своих детей (родителю)",
              SECTION, ("student", "parent")),
        Right("diary.acknowledge", "Подтверждать ознакомление с итоговыми отметками своих детей",
              SECTION, ("parent",)),
    ),
    audit_actions={
        "diary.finals_acknowledged": "Родитель ознакомлен с итоговыми отметками за период",
        "diary.digest_switched": "Родитель включил или выключил ежедневную сводку на почту",
        "diary.digest_address_changed": "Родитель изменил адрес почты для ежедневной сводки",
        "diary.digest_sent": "Ежедневная сводка отправлена родителю на почту",
    },
    menu=(
        MenuEntry("/diary", "Дневник", ("diary.own",), position=15),
        # the class teacher's and the teachers' home pages show no declared cards: a menu entry
        MenuEntry("/acknowledgements", "Ознакомление с итоговыми", ("journal.class", "journal.view"),
                  position=19),
    ),
    home_cards=(
        HomeCard("/diary", "Дневник", "Уроки недели, домашние задания, отметки, пропуски, "
                 "прогноз и итоговые отметки", ("diary.own",), position=5),
        HomeCard("/acknowledgements", "Ознакомление с итоговыми",
                 "Кто из родителей ознакомился с итоговыми отметками за период",
                 ("journal.class", "journal.view"), position=26),
    ),
)
