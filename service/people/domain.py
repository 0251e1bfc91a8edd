"""People: class lists, student cards, parents, staff, invitation slips, consent to the
processing of personal data, the health sheet, search."""

from service.domains import Domain, HomeCard, MenuEntry, Right

CODES = "Коды приглашения"
PEOPLE = "Люди"
HEALTH = "Листок здоровья"
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
        # An invitation slip hands out the pupil's or the parent's role: issuing slips contains
        # the rights those roles carry (diary), so a class teacher may issue them without
        # holding a diary of their own (accounts/rules.py::rights_beyond).
        Right("invitations.issue_own", "Выпускать коды приглашения для своего класса", CODES,
              ("class_teacher",), includes=("diary.own", "diary.acknowledge")),
        Right("people.view_all", "Видеть карточки всех учеников и родителей", PEOPLE,
              ("admin", "deputy", "secretary"),
              includes=("people.view_class", "people.view_taught", "people.view_children",
                        "people.view_self")),
        # A class teacher's sheet gives the class's pupils their own card, parents their children's.
        # Also the class's health sheet and PE groups: those rights show nothing without a class
        # or a PE load of one's own, and whoever hands out the teacher roles (a holder of every
        # card) must be able to hand them out with the roles (accounts/rules.py::rights_beyond).
        Right("people.view_class", "Видеть карточки учеников своего класса", PEOPLE,
              ("class_teacher",), includes=("people.view_children", "people.view_self",
                                            "health.view_class")),
        Right("people.view_taught", "Видеть учеников классов, где ведёт уроки", PEOPLE,
              ("teacher", "class_teacher"), includes=("health.view_pe",)),
        Right("people.view_children", "Видеть карточки своих детей", PEOPLE, ("parent",)),
        Right("people.view_self", "Видеть свою карточку", PEOPLE, ("student",)),
        # Editing follows the same scope as seeing (people.queries.edit_scope).
        Right("people.edit_all", "Вносить и исправлять сведения об учениках, родителях и сотрудниках, "
              "согласия на обработку персональных данных", PEOPLE, ("deputy", "secretary"),
              includes=("people.edit_class",)),
        Right("people.edit_class", "Исправлять сведения об учениках своего класса и их родителях, "
              "записывать их согласия", PEOPLE, ("class_teacher",)),
        # Special-category data (152-ФЗ, ст. 10): each right sees less than the one above it.
        Right("health.view_all", "Видеть листок здоровья всех учеников", HEALTH,
              ("admin", "deputy", "nurse"), includes=("health.view_class", "health.view_pe")),
        Right("health.view_class", "Видеть листок здоровья своего класса", HEALTH,
              ("class_teacher",)),
        Right("health.view_pe", "Видеть физкультурную группу и рекомендации учеников, у которых "
              "ведёт физическую культуру", HEALTH, ("teacher",)),
        Right("health.edit", "Вести листок здоровья", HEALTH, ("nurse",)),
    ),
    audit_actions={
        "people.person_created": "Добавлен ученик или родитель",
        "people.person_changed": "Изменены сведения о человеке",
        "people.parent_linked": "Родитель (законный представитель) связан с учеником",
        "people.staff_added": "Добавлен сотрудник",
        "people.staff_left": "Записана дата увольнения сотрудника",
        "people.consent_recorded": "Записано согласие на обработку персональных данных",
        "people.consent_withdrawn": "Отозвано согласие на обработку персональных данных",
        "people.health_recorded": "Новая запись в листке здоровья",
    },
    menu=(
        MenuEntry("/classes", "Классы", SEE_CLASSES, position=20, also_current=("/students/",)),
        MenuEntry("/staff", "Сотрудники", ("invitations.issue_any",), position=50),
        MenuEntry("/search", "Поиск", ("people.view_all",), position=55),
        MenuEntry("/health", "Листок здоровья", ("health.view_all",), position=60),
    ),
    home_cards=(
        HomeCard("/classes", "Классы", "Списки учеников и коды приглашения", ("people.view_all",),
                 position=20),
        HomeCard("/staff", "Сотрудники", "Коды приглашения для учителей и администрации",
                 ("invitations.issue_any",), position=50),
        HomeCard("/search", "Поиск", "Ученик, родитель или сотрудник по части фамилии или имени",
                 ("people.view_all",), position=55),
        HomeCard("/health", "Листок здоровья", "Группы здоровья и физкультурные группы по классам",
                 ("health.view_all",), position=60),
    ),
)
