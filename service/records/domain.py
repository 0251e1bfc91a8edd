"""The school's records (issue 12, R-ARC-1..4): transcripts sealed with the system's seal, the
verification page anyone may open, and — for the archivist — the sealed years."""

from service.domains import Domain, HomeCard, MenuEntry, Right

SECTION = "Архив"

DOMAIN = Domain(
    name="records",
    position=88,  # reads the reports' class year (summary sheet)
    routes="service.records.routes:router",
    piccolo_app="service.records.piccolo_app",
    rights=(
        Right("archive.view", "Раздел «Архив»", SECTION, ("archivist", "admin", "deputy")),
        Right("records.issue", "Выдавать выписки успеваемости любого класса с электронной печатью системы",
              SECTION, ("deputy", "admin"), includes=("records.issue_own",)),
        # the secretary holds it too (she leads no class: it gives her nothing) so that she may
        # still hand out the class teacher's role on invitations (accounts.rules.rights_beyond)
        Right("records.seal", "Запечатывать закрытый учебный год и открывать запечатанный для исправления",
              SECTION, ("deputy", "admin")),
        Right("records.purge", "Удалять подробные данные журналов по истечении срока хранения (ezh archive purge)",
              SECTION, ("archivist",)),
        Right("records.issue_own", "Выдавать выписки успеваемости своего класса (классному руководителю)",
              SECTION, ("class_teacher", "secretary")),
    ),
    audit_actions={
        "records.transcripts_issued": "Выданы выписки успеваемости",
        "records.year_sealed": "Учебный год запечатан",
        "records.year_reopened": "Запечатанный учебный год открыт для исправления",
        "records.year_closed_for_seal": "Открытый для исправления год закрыт на время запечатывания",
        "records.year_reopened_after_failed_seal": "Запечатывание не удалось: год снова открыт для исправления",
        "records.signature_attached": "Приложена квалифицированная подпись",
        "records.verified": "Проверка документа на странице проверки",
        "records.package_verified": "Запечатанный пакет проверен",
        "records.purged": "Удалены подробные данные журналов по истечении срока хранения",
        "records.act_registered": "Зарегистрирован акт об уничтожении персональных данных",
    },
    menu=(MenuEntry("/archive", "Архив", ("archive.view",), position=40),),
    home_cards=(
        HomeCard("/archive", "Архив", "Выписки с электронной печатью системы, запечатанные учебные годы",
                 ("archive.view", "records.issue", "records.issue_own"), position=40),
    ),
)
