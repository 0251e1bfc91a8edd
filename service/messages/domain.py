"""Messages (issue 10 item 4, R-MSG-1): threads between parents, pupils, teachers, class
teachers and the administration, within the rules of who may write to whom (``queries.contacts``),
with unread counts, read and answered times, attachments, and the administration's view of how
quickly parents' messages were answered, per teacher and month."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Сообщения"

DOMAIN = Domain(
    name="messages",
    position=75,  # after the diary: reads the school, the people and the journal's files
    routes="service.messages.routes:router",
    piccolo_app="service.messages.piccolo_app",
    rights=(
        Right("messages.use", "Писать и читать сообщения: семье — учителям своих детей, классному "
              "руководителю и администрации; учителю — своим ученикам, их родителям и коллегам",
              SECTION, ("admin", "deputy", "class_teacher", "teacher", "secretary", "archivist", "nurse",
                        "parent", "student")),
        Right("messages.anyone", "Писать любому ученику, родителю и сотруднику; получать обращения "
              "родителей как администрация", SECTION, ("deputy",)),
        Right("messages.stats", "Видеть, как быстро отвечают на сообщения родителей (по учителям и месяцам)",
              SECTION, ("deputy",)),
    ),
    audit_actions={
        "messages.sent": "Отправлено сообщение",
        "messages.read": "Сообщения прочитаны",
    },
    menu=(
        MenuEntry("/messages", "Сообщения", ("messages.use",), position=17, badge="/messages/unread"),
        MenuEntry("/answer-times", "Ответы родителям", ("messages.stats",), position=90),
    ),
    home_cards=(
        HomeCard("/messages", "Сообщения", "Переписка с учителями, классным руководителем, учениками и "
                 "родителями: непрочитанные, время прочтения и ответа", ("messages.use",), position=8),
        HomeCard("/answer-times", "Ответы на сообщения родителей",
                 "Как быстро учителя отвечают родителям: по учителям и месяцам", ("messages.stats",), position=60),
    ),
)
