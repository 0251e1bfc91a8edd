"""Accounts: signing in, invitation and reset codes, passwords, roles and rights."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Администрирование"

DOMAIN = Domain(
    name="accounts",
    position=20,
    routes="service.accounts.routes:router",
    piccolo_app="service.accounts.piccolo_app",
    rights=(
        Right("admin.roles", "Изменять права ролей", SECTION, ("admin",)),
        Right("admin.users", "Управлять учётными записями, сбрасывать пароли", SECTION, ("admin",)),
    ),
    audit_actions={
        "accounts.login": "Вход в систему",
        "accounts.logout": "Выход из системы",
        "accounts.registered": "Регистрация по коду приглашения",
        "accounts.user_created": "Создана учётная запись",
        "accounts.user_blocked": "Учётная запись заблокирована",
        "accounts.user_unblocked": "Учётная запись разблокирована",
        "accounts.password_changed": "Пароль изменён",
        "accounts.password_reset": "Пароль сброшен по коду",
        "accounts.reset_code_issued": "Выдан код сброса пароля",
        "accounts.invitations_issued": "Выпущены коды приглашения",
        "accounts.role_rights_changed": "Изменены права роли",
        "accounts.user_roles_changed": "Изменены роли учётной записи",
        "accounts.rights_synced": "Обновлён перечень ролей и прав",
        "accounts.person_created": "Добавлен человек",
        "accounts.api_token_issued": "Выдан ключ доступа к API",
        "accounts.api_token_revoked": "Отозван ключ доступа к API",
    },
    menu=(
        MenuEntry("/admin/users", "Пользователи", ("admin.users",), position=60),
        MenuEntry("/admin/roles", "Роли и права", ("admin.roles",), position=70),
    ),
    home_cards=(
        HomeCard("/admin/users", "Пользователи", "Учётные записи: блокировка, коды сброса пароля",
                 ("admin.users",), position=60),
        HomeCard("/admin/roles", "Роли и права", "Какие права даёт каждая роль", ("admin.roles",),
                 position=70),
    ),
)
