"""The order book («книга приказов», движение учащихся): every change of a student's class or
group is an order with its number and date; memberships are dated intervals."""

from service.domains import Domain, HomeCard, MenuEntry, Right

ORDERS = "Книга приказов"

DOMAIN = Domain(
    name="orders",
    position=45,  # above people and school, which it reads
    routes="service.orders.routes:router",
    rights=(
        Right("orders.edit", "Вносить приказы о движении учащихся и переводить на следующий год",
              ORDERS, ("secretary", "deputy"), includes=("orders.view",)),
        Right("orders.view", "Видеть книгу приказов и движение учащихся", ORDERS,
              ("secretary", "deputy", "admin")),
    ),
    audit_actions={
        "orders.order_created": "Внесён приказ",
        "orders.enrolment_opened": "Ученик зачислен в класс (по приказу)",
        "orders.enrolment_closed": "Ученик выбыл из класса (по приказу)",
        "orders.group_joined": "Ученик включён в группу (по приказу)",
        "orders.group_left": "Ученик исключён из группы (по приказу)",
        "orders.order_cancelled": "Приказ отменён другим приказом",
        "orders.class_created": "Создан класс нового учебного года",
        "orders.year_closed": "Учебный год закрыт (перевод на следующий год)",
    },
    menu=(MenuEntry("/orders", "Книга приказов", ("orders.view",), position=45),),
    home_cards=(HomeCard("/orders", "Книга приказов",
                         "Зачисление, перевод, выбытие, группы, перевод на следующий год",
                         ("orders.view",), position=45),),
)
