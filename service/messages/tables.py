"""Messages inside the journal (R-MSG-1, «сообщения»): a thread is a conversation between two
people — a parent or a pupil and a member of staff, or two members of staff. A class teacher's
note to every parent of the class is one thread per parent, so no family sees another's.

Each side is stored with the capacity it writes in (``parent``, ``student``, ``staff``), fixed
when the thread starts: the administration's statistics of how quickly parents were answered
read it, and a teacher who is also a parent writes either as one or as the other.

Nothing is deleted. The content of messages is in these tables only — the audit log keeps
who wrote to whom, when, and the SHA-256 of the text, never the text (secrecy of
correspondence: the audit log's readers are not the thread's)."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from service.accounts.tables import Person

RESTRICT = OnDelete.restrict


class MessageThread(Table, tablename="message_thread"):
    """«Переписка»: ``starter`` wrote first to ``recipient``; ``about`` is the pupil it concerns
    (a parent's child, the pupil themself), when there is one. ``*_unread`` count the other
    side's messages that side has not opened yet (the unread badge: one indexed sum)."""

    subject = Varchar(length=200)
    starter = ForeignKey(Person, on_delete=RESTRICT, index=True)
    starter_as = Varchar(length=16)
    recipient = ForeignKey(Person, on_delete=RESTRICT, index=True)
    recipient_as = Varchar(length=16)
    about = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    started_at = Timestamptz()
    last_at = Timestamptz(index=True)
    starter_unread = Integer(default=0)
    recipient_unread = Integer(default=0)


class Message(Table, tablename="thread_message"):
    """One message of a thread: ``read_at`` when the other side first opened it, ``answered_at``
    when the other side first wrote back after it (the answer time R-MSG-1 measures)."""

    thread = ForeignKey(MessageThread, on_delete=RESTRICT, index=True)
    author = ForeignKey(Person, on_delete=RESTRICT)
    author_as = Varchar(length=16)
    addressee = ForeignKey(Person, on_delete=RESTRICT, index=True)
    body = Text()
    sent_at = Timestamptz(index=True)
    read_at = Timestamptz(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)


class MessageFile(Table, tablename="message_file"):
    """An attachment, kept on disk by content like homework files (``EZH_VAR_DIR/files``,
    backed up with the rest); the row keeps its clean name and the type its extension names."""

    message = ForeignKey(Message, on_delete=RESTRICT, index=True)
    name = Varchar(length=255)
    content_type = Varchar(length=120)
    size = Integer()
    sha256 = Varchar(length=64)
