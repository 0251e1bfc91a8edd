"""People: class lists, student cards, parents, staff, invitation slips."""

from service.domains import Domain, HomeCard, MenuEntry, Right

CODES = "Коды приглашения"
PEOPLE = "Люди"
SEE_CLASSES = ("people.view_all", "people.view_class", "people.view_taught")

DOMAIN = Domain(
    name="people",
    position=40,
    routes="service.people.routes:router",
    piccolo_app="service.people.piccolo_app",
    home="service.people.home:home_context",
    rights=(
        Right("invitations.issue_any", "Выпускать коды приглашения для любого класса", CODES,
              ("admin", "deputy", "secretary"), includes=("invitations.issue_own",)),
        Right("invitations.issue_own", "Выпускать коды приглашения для своего класса", CODES,
              ("class_teacher",)),
        Right("people.view_all", "Видеть карточки всех учеников и родителей", PEOPLE,
              ("admin", "deputy", "secretary"),
              includes=("people.view_class", "people.view_taught", "people.view_children",
                        "people.view_self")),
        # A class teacher's sheet gives the class's pupils their own card, parents their children's.
        Right("people.view_class", "Видеть карточки учеников своего класса", PEOPLE,
              ("class_teacher",), includes=("people.view_children", "people.view_self")),
        Right("people.view_taught", "Видеть учеников классов, где ведёт уроки", PEOPLE,
              ("teacher", "class_teacher")),
        Right("people.view_children", "Видеть карточки своих детей", PEOPLE, ("parent",)),
        Right("people.view_self", "Видеть свою карточку", PEOPLE, ("student",)),
    ),
    menu=(
        MenuEntry("/classes", "Классы", SEE_CLASSES, position=20, also_current=("/students/",)),
        MenuEntry("/staff", "Сотрудники", ("invitations.issue_any",), position=50),
    ),
    home_cards=(
        HomeCard("/classes", "Классы", "Списки учеников и коды приглашения", ("people.view_all",),
                 position=20),
        HomeCard("/staff", "Сотрудники", "Коды приглашения для учителей и администрации",
                 ("invitations.issue_any",), position=50),
    ),
)
