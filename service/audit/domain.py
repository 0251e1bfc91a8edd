"""The audit log and the access log: the administrator's pages over them."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Администрирование"

DOMAIN = Domain(
    name="audit",
    position=10,
    routes="service.audit.routes:router",
    piccolo_app="service.audit.piccolo_app",
    rights=(
        Right("admin.audit", "Просматривать журнал аудита", SECTION, ("admin", "deputy")),
        Right("admin.access_log", "Просматривать журнал доступа к персональным данным", SECTION,
              ("admin",)),
    ),
    menu=(
        MenuEntry("/admin/audit", "Журнал аудита", ("admin.audit",), position=80),
        MenuEntry("/admin/access-log", "Журнал доступа", ("admin.access_log",), position=90),
    ),
    home_cards=(
        HomeCard("/admin/audit", "Журнал аудита", "Все изменения: кто, когда, что было и что стало",
                 ("admin.audit",), position=80),
        HomeCard("/admin/access-log", "Журнал доступа",
                 "Кто открывал карточки с персональными данными", ("admin.access_log",),
                 position=90),
    ),
)
