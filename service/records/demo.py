"""The demo school's archive: the seal is made and one class of the finished year gets its year
transcripts, so that «Архив» and the verification page can be tried at once."""

from __future__ import annotations

from service.accounts.viewer import Viewer
from service.records import rules
from service.records.issue import do_issue_transcripts, seal_dir, seal_passphrase_file
from service.settings import get_settings
from service.timetable.tables import Lesson


async def prepare_archive() -> list[str]:
    """Make the seal if there is none and issue the last finished year's transcripts of its
    first class. What was done, in Russian (nothing when there is no finished year)."""
    from archive import keys

    settings = get_settings()
    said = []
    try:
        keys.describe(seal_dir())
    except keys.KeyStoreError:
        keys.init_school_keys(seal_dir(), school_name=settings.school.full_name or settings.school.name,
                              passphrase_file=seal_passphrase_file())
        said.append(f"Электронная печать системы создана ({seal_dir()}).")
    years = await Lesson.raw("SELECT id, name FROM academic_year WHERE is_current = {} AND closed_at IS NOT NULL "
                             "ORDER BY starts_on DESC LIMIT 1", False).run()
    if not years:
        return said
    classes = await Lesson.raw("SELECT id, name FROM school_class WHERE year = {} ORDER BY grade DESC, letter "
                               "LIMIT 1", years[0]["id"]).run()
    demo = Viewer(user_id=None, login="ezh demo", person_id=None, full_name="ezh", roles=(),
                  permissions=frozenset({"records.issue"}))
    done = await do_issue_transcripts(demo, years[0]["id"], class_ids=[classes[0]["id"]])
    if done.documents:
        code = rules.shown_code(done.documents[0]["short_code"])
        said.append(f"Выписки за {years[0]['name']} учебный год класса {classes[0]['name']} выпущены "
                    f"({done.count}): раздел «Архив»; проверка — страница /verify, например код {code}.")
    said.append(f"{years[0]['name']} учебный год закрыт и ждёт запечатывания: «Архив» → «Запечатать год» "
                f"(завуч) или ezh archive seal --year {years[0]['name']}.")
    return said
