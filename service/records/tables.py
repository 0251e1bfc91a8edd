"""The register of what the school issued and sealed (R-ARC-1, R-ARC-4).

An issued document is never changed or deleted: a corrected transcript is a new version, and
the old one is marked superseded but still verifies. The file lies under the archive folder
(``file`` is relative to it); ``sha256`` is of the signed bytes, so the verification page finds
a document by its hash as well as by its short code."""

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from service.accounts.tables import Person
from service.school.tables import AcademicYear, SchoolClass, StudyPeriod

RESTRICT = OnDelete.restrict


class IssuedDocument(Table, tablename="issued_document"):
    """«Выданный документ»: a transcript of a period or a year (``kind`` "transcript"), and
    later the summary sheets and other sealed forms."""

    kind = Varchar(length=24)
    short_code = Varchar(length=8, unique=True)  # Crockford base32, shown as XXXX-XXXX
    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    period = ForeignKey(StudyPeriod, on_delete=RESTRICT, null=True, default=None)
    student = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None, index=True)
    school_class = ForeignKey(SchoolClass, on_delete=RESTRICT, null=True, default=None)
    version = Integer(default=1)
    title = Varchar(length=200)
    sha256 = Varchar(length=64, index=True)
    # SHA-256 of the export the document was made from, without its «document» block: the
    # year's seal re-issues a transcript only when its data changed since (empty: not known)
    content_sha256 = Varchar(length=64, default="")
    file = Varchar(length=300)
    size = BigInt()
    certificate = Varchar(length=100)  # SHA-256 fingerprint of the seal certificate
    issued_at = Timestamptz()
    issued_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    superseded_at = Timestamptz(null=True, default=None)
    superseded_by = Integer(null=True, default=None)  # the id of the newer version


class SealedYear(Table, tablename="sealed_year"):
    """A sealed year package (BagIt folder and tar); a reopened and resealed year has a newer
    version that references the older, which stays valid."""

    year = ForeignKey(AcademicYear, on_delete=RESTRICT, index=True)
    version = Integer(default=1)
    name = Varchar(length=60)
    root_digest = Varchar(length=64, unique=True)
    previous_year_digest = Varchar(length=64, null=True, default=None)
    supersedes_digest = Varchar(length=64, null=True, default=None)
    folder = Varchar(length=300)
    tar = Varchar(length=300)
    files = Integer()
    size = BigInt()
    sealed_at = Timestamptz()
    sealed_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
    verified_at = Timestamptz(null=True, default=None)
    verified_ok = Boolean(null=True, default=None)
    verify_message = Text(default="")
    reopened_at = Timestamptz(null=True, default=None)
    reopen_reason = Text(default="")


class AttachedSignature(Table, tablename="attached_signature"):
    """A qualified electronic signature the head made with external tools (a detached ``.sig``
    over a document or a package's manifest): stored, hashed and listed with it."""

    document = ForeignKey(IssuedDocument, on_delete=RESTRICT, null=True, default=None, index=True)
    sealed_year = ForeignKey(SealedYear, on_delete=RESTRICT, null=True, default=None, index=True)
    filename = Varchar(length=200)
    sha256 = Varchar(length=64)
    size = BigInt()
    file = Varchar(length=300)
    note = Text(default="")
    attached_at = Timestamptz()
    attached_by = ForeignKey(Person, on_delete=RESTRICT, null=True, default=None)
