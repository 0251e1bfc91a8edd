"""Demo messages (issue 10 item 7): in the just-generated school, about a quarter of the
families have written to a class teacher, a subject teacher or the administration during the
year, and were answered — mostly the same evening, some after a day or two, a few of the
latest not yet; class teachers have written to all the parents of their class; staff write to
each other. The demo logins have threads of their own to open: «roditel» and «klruk» talk about
the child, one of «roditel»'s messages waits unread for «klruk»; «uchenik» asked «uchitel»
about homework; «zavuch» wrote to «klruk». The other people have no accounts: their threads
stand for what a school whose families have registered sees on the answer-times page.

Runs inside the demo generator's transaction (its audit row says what was made); a constant
number of queries and bulk inserts, whatever the size of the school."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from service.db import bulk_insert, reserve_ids
from service.journal import access
from service.messages.tables import Message, MessageThread
from service.school.queries import in_force
from service.settings import get_settings
from service.timetable.tables import Lesson

FAMILY_SHARE = 0.25  # families who wrote during the year

# (subject, the parent's first message, the teacher's answer, the parent's thanks or None)
FAMILY_TOPICS = (
    ("Пропуск по болезни", "Добрый день! Ребёнок заболел, несколько дней не будет в школе. Справку от врача "
     "принесём, когда выздоровеет. Подскажите, пожалуйста, что пройти самостоятельно?",
     "Здравствуйте! Выздоравливайте. Темы и домашние задания видны в дневнике, после выздоровления "
     "подойдите на консультацию — разберём пропущенное.", "Спасибо большое!"),
    ("Контрольная работа", "Здравствуйте! Можно ли переписать контрольную работу? Ребёнок очень переживает "
     "из-за оценки.", "Добрый вечер! Да, в четверг после шестого урока, кабинет тот же. Пусть повторит "
     "решение задач из параграфа.", "Хорошо, передам. Спасибо!"),
    ("Домашнее задание", "Добрый вечер! В дневнике задание «№ 245, 247», а в учебнике у нас другая "
     "нумерация (другое издание). Какие это задачи?", "Здравствуйте! Это задачи на сложение дробей со "
     "страницы 112. Пришлю фотографию страницы завтра на уроке.", None),
    ("Родительское собрание", "Здравствуйте! Не смогу прийти на собрание в среду — работаю допоздна. "
     "Можно узнать решения собрания потом?", "Добрый день! Конечно, протокол пришлю сообщением в четверг.",
     "Спасибо!"),
    ("Экскурсия", "Добрый день! Сколько стоит экскурсия и до какого числа сдавать деньги?",
     "Здравствуйте! Сумма и сроки — в объявлении в дневнике; сдать до пятницы классному руководителю.", None),
    ("Освобождение от физкультуры", "Здравствуйте! У ребёнка освобождение от физкультуры на месяц, справку "
     "передали медсестре. Нужно ли присутствовать на уроке?", "Добрый день! Да, на уроке присутствовать "
     "нужно, без нагрузки. Справку получили.", None),
    ("Учебники", "Добрый день! Ребёнку не выдали рабочую тетрадь. Нужно купить самим?",
     "Здравствуйте! Тетради пришли вчера, выдам в понедельник.", "Спасибо!"),
)
STUDENT_TOPICS = (
    ("Домашнее задание", "Здравствуйте! Я болел и не понял, какое задание на четверг.",
     "Здравствуй! Параграф 14, упражнения 3 и 5. Если будут вопросы — подходи на перемене."),
    ("Проект", "Здравствуйте! Можно я возьму тему проекта про солнечную энергию?",
     "Здравствуй! Да, тема свободна, записал тебя."),
)
ANNOUNCEMENTS = (
    ("Родительское собрание", "Уважаемые родители! Родительское собрание состоится в среду в 18:30 в "
     "кабинете класса. Повестка: итоги четверти, питание, экскурсия. Классный руководитель."),
    ("Итоги четверти", "Уважаемые родители! Итоговые отметки за четверть видны в дневнике, в разделе "
     "«Оценки и итоги». Пожалуйста, ознакомьтесь и нажмите «Ознакомлен(а)»."),
)
STAFF_TOPICS = (
    ("Замена на следующей неделе", "Коллега, в понедельник и вторник вас заменяют на 3-м уроке — вы на "
     "курсах повышения квалификации. Планы уроков, пожалуйста, оставьте в журнале.",
     "Поняла, оставлю темы и задания в журнале до пятницы."),
    ("Отчёт по успеваемости", "Прошу к пятнице сдать анализ успеваемости класса за четверть.",
     "Хорошо, сдам в четверг."),
)


def _evening(day: date, rng: random.Random, tz) -> datetime:
    return datetime.combine(day, time(rng.randint(17, 21), rng.randint(0, 59)), tzinfo=tz).astimezone(UTC)


def _answer_delay(rng: random.Random) -> timedelta:
    """Mostly within hours, some the next day, a few after two or three days."""
    r = rng.random()
    if r < 0.55:
        return timedelta(minutes=rng.randint(15, 240))
    if r < 0.85:
        return timedelta(hours=rng.randint(12, 26))
    return timedelta(hours=rng.randint(40, 80))


class _Writer:
    """Threads and messages collected for two bulk inserts."""

    def __init__(self) -> None:
        self.threads: list[list] = []
        self.messages: list[list] = []

    def thread(self, subject: str, starter: tuple[int, str], recipient: tuple[int, str], about: int | None,
               lines: list[tuple[int, str, datetime]], now: datetime, last_unread: bool = False) -> None:
        """``lines``: (author, text, sent_at) oldest first; read and answered times follow the
        next line of the other side (a last line is read by the morning, if it is not too new,
        unless ``last_unread``)."""
        lines = [x for x in lines if x[2] <= now]
        if not lines:
            return
        index = len(self.threads)
        unread = {starter[0]: 0, recipient[0]: 0}
        side = {starter[0]: starter[1], recipient[0]: recipient[1]}
        for i, (author, text, at) in enumerate(lines):
            other = recipient[0] if author == starter[0] else starter[0]
            answer = next((x[2] for x in lines[i + 1:] if x[0] == other), None)
            read = answer - timedelta(minutes=5) if answer else (at + timedelta(hours=14) if at + timedelta(hours=14)
                                                                   < now else None)
            if last_unread and i == len(lines) - 1:
                read = None
            if read is None:
                unread[other] += 1
            self.messages.append([index, author, side[author], other, text, at, read, answer])
        self.threads.append([subject, starter[0], starter[1], recipient[0], recipient[1], about, lines[0][2],
                             lines[-1][2], unread[starter[0]], unread[recipient[0]]])


async def write_demo_messages(seed: int, moment: datetime) -> int:
    """Threads of the year for part of the families, the class teachers and the demo logins;
    returns how many threads."""
    today = access.school_today()
    tz = get_settings().tz
    rng = random.Random(f"{seed}-messages")
    years = await Lesson.raw("SELECT starts_on FROM academic_year WHERE is_current").run()
    if not years:
        return 0
    start = max(years[0]["starts_on"], today - timedelta(days=300))
    pupils = await Lesson.raw(
        f"SELECT e.student, e.school_class, c.class_teacher FROM enrolment e "
        f"JOIN school_class c ON c.id = e.school_class WHERE {in_force('e')} ORDER BY e.student", today, today).run()
    links = await Lesson.raw("SELECT parent, child FROM parent_link ORDER BY parent, child").run()
    load = await Lesson.raw(
        f"SELECT teacher, school_class FROM teaching_load WHERE school_class IS NOT NULL AND {in_force()} "
        "ORDER BY teacher", today, today).run()
    accounts = {r["login"]: r["person"] for r in await Lesson.raw(
        "SELECT login, person FROM account WHERE person IS NOT NULL").run()}
    deputies = [r["person"] for r in await Lesson.raw(
        "SELECT DISTINCT a.person FROM account a JOIN account_role ar ON ar.account = a.id JOIN role r "
        "ON r.id = ar.role WHERE r.code = 'deputy' AND a.person IS NOT NULL ORDER BY a.person").run()]
    parents: dict[int, list[int]] = {}
    for r in links:
        parents.setdefault(r["child"], []).append(r["parent"])
    teachers: dict[int, list[int]] = {}
    for r in load:
        teachers.setdefault(r["school_class"], []).append(r["teacher"])
    days = max(1, (today - start).days)

    def day_in_year() -> date:
        return start + timedelta(days=rng.randrange(days))

    w = _Writer()
    classes: dict[int, dict] = {}
    for p in pupils:
        classes.setdefault(p["school_class"], {"teacher": p["class_teacher"], "pupils": []})["pupils"].append(p["student"])
        family = parents.get(p["student"], [])
        if not family or rng.random() > FAMILY_SHARE:
            continue
        for _ in range(rng.randint(1, 2)):
            choices = [t for t in [p["class_teacher"]] + teachers.get(p["school_class"], []) if t]
            if rng.random() < 0.08 and deputies:
                choices = deputies
            if not choices:
                continue
            teacher, parent = rng.choice(choices), rng.choice(family)
            subject, ask, answer, thanks = rng.choice(FAMILY_TOPICS)
            asked = _evening(day_in_year(), rng, tz)
            lines = [(parent, ask, asked)]
            if today - asked.astimezone(tz).date() > timedelta(days=4) or rng.random() < 0.6:
                answered = asked + _answer_delay(rng)
                lines.append((teacher, answer, answered))
                if thanks:
                    lines.append((parent, thanks, answered + timedelta(minutes=rng.randint(10, 180))))
            w.thread(subject, (parent, "parent"), (teacher, "staff"), p["student"], lines, moment)
    for info in classes.values():
        if not info["teacher"]:
            continue
        subject, text = ANNOUNCEMENTS[rng.randrange(len(ANNOUNCEMENTS))]
        at = _evening(day_in_year(), rng, tz)
        for pupil in info["pupils"]:
            for parent in parents.get(pupil, [])[:1]:
                w.thread(subject, (info["teacher"], "staff"), (parent, "parent"), pupil, [(info["teacher"], text, at)],
                         moment)
    # the demo logins' own threads, recent enough to be on the first page
    roditel, klruk, uchitel, uchenik, zavuch = (accounts.get(x) for x in ("roditel", "klruk", "uchitel", "uchenik",
                                                                           "zavuch"))
    child = next((c for c, ps in parents.items() if roditel in ps), None)
    recent = [today - timedelta(days=d) for d in (9, 6, 3, 1)]
    if roditel and klruk and child:
        s, ask, answer, thanks = FAMILY_TOPICS[3]
        at = _evening(recent[0], rng, tz)
        w.thread(s, (roditel, "parent"), (klruk, "staff"), child,
                 [(roditel, ask, at), (klruk, answer, at + timedelta(hours=2, minutes=10)),
                  (roditel, thanks, at + timedelta(hours=2, minutes=40))], moment)
        at = _evening(recent[3], rng, tz)
        w.thread("Справка после болезни", (roditel, "parent"), (klruk, "staff"), child,
                 [(roditel, "Добрый вечер! Справку от врача передадим завтра утром, ребёнок пропустил три дня.",
                   min(at, moment - timedelta(minutes=30)))], moment, last_unread=True)
    if uchenik and uchitel:
        s, ask, answer = STUDENT_TOPICS[0]
        at = _evening(recent[2], rng, tz)
        w.thread(s, (uchenik, "student"), (uchitel, "staff"), uchenik,
                 [(uchenik, ask, at), (uchitel, answer, at + timedelta(minutes=50))], moment)
    if zavuch and klruk:
        s, ask, answer = STAFF_TOPICS[1]
        at = datetime.combine(recent[1], time(10, 15), tzinfo=tz).astimezone(UTC)
        w.thread(s, (zavuch, "staff"), (klruk, "staff"), None,
                 [(zavuch, ask, at), (klruk, answer, at + timedelta(hours=3))], moment)
    if not w.threads:
        return 0
    thread_ids = await reserve_ids(MessageThread, len(w.threads))
    await bulk_insert(MessageThread, (
        MessageThread.id, MessageThread.subject, MessageThread.starter, MessageThread.starter_as,
        MessageThread.recipient, MessageThread.recipient_as, MessageThread.about, MessageThread.started_at,
        MessageThread.last_at, MessageThread.starter_unread, MessageThread.recipient_unread),
        [(thread_ids[i], *row) for i, row in enumerate(w.threads)])
    message_ids = await reserve_ids(Message, len(w.messages))
    await bulk_insert(Message, (
        Message.id, Message.thread, Message.author, Message.author_as, Message.addressee, Message.body,
        Message.sent_at, Message.read_at, Message.answered_at),
        [(message_ids[i], thread_ids[row[0]], *row[1:]) for i, row in enumerate(w.messages)])
    return len(w.threads)
