"""Ticket attachments: what may be uploaded, where it is stored, and how it is served.

Uploads are checked twice, by extension *and* by their first bytes, against an allowlist of
documents people really send to a service desk; anything a browser could run or render as a page
(HTML, SVG, XML, JavaScript, executables) is refused whatever it is called. Files are stored
under a generated name; the name the user gave is kept, cleaned, for display only. Downloads
always leave as ``application/octet-stream`` attachments with ``nosniff`` and a sandboxing CSP,
from a view that found the row through ``for_user`` and the parent ticket's visibility.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import F, Prefetch, Q, prefetch_related_objects
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from msp_portal.core.csv import download_disposition
from msp_portal.core.tenancy import get_for_user

from .models import Attachment, Ticket

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_FILES = 10
NAME_MAX_LENGTH = 255  # Attachment.original_name
SNIFF_BYTES = 8192


def max_bytes() -> int:
    """The largest file accepted (``ATTACHMENT_MAX_BYTES``, 20 MB by default)."""
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_files() -> int:
    """How many files one message may carry (``ATTACHMENT_MAX_FILES``, 10 by default)."""
    return int(getattr(settings, "ATTACHMENT_MAX_FILES", DEFAULT_MAX_FILES))


# --- Content sniffing ----------------------------------------------------------------------

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (.doc/.xls/.ppt) and Outlook .msg
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # zip and every OOXML / OpenDocument file
_EXECUTABLE = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
# What a browser would render or run if it ever sniffed the file, wherever it appears early on.
_MARKUP = re.compile(
    rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|frameset|meta|"
    rb"\?xml|xml|math|style|link)\b",
    re.IGNORECASE,
)
# Some markup is only dangerous when the file opens with it (how browsers sniff HTML).
_MARKUP_FIRST = re.compile(rb"<\s*(?:!--|[a-z]+[\s/>])", re.IGNORECASE)
_MAIL_HEADER = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:[ \t]")
_UTF_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _is_text(head: bytes) -> bool:
    """Plain text: no NUL byte, no executable header, nothing a browser would take for markup."""
    if head.startswith(_UTF_BOMS[1:]):
        return False  # UTF-16 text hides markup from byte checks; ask for UTF-8
    body = head.removeprefix(_UTF_BOMS[0])
    if b"\x00" in body or body.startswith(_EXECUTABLE):
        return False
    if _MARKUP.search(body[:1024]):
        return False
    return not _MARKUP_FIRST.match(body.lstrip())


def _is_mail(head: bytes) -> bool:
    """An RFC 5322 message: header lines first. Its HTML parts are never rendered here."""
    body = head.removeprefix(_UTF_BOMS[0]).lstrip(b"\r\n")
    return b"\x00" not in body and bool(_MAIL_HEADER.match(body))


def _starts(*magic: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(magic)


def _is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


@dataclass(frozen=True)
class FileKind:
    label: str
    sniff: Callable[[bytes], bool]


_PDF = FileKind("PDF", _starts(b"%PDF-"))
_PNG = FileKind("PNG", _starts(b"\x89PNG\r\n\x1a\n"))
_JPEG = FileKind("JPEG", _starts(b"\xff\xd8\xff"))
_GIF = FileKind("GIF", _starts(b"GIF87a", b"GIF89a"))
_WEBP = FileKind("WebP", _is_webp)
_ZIPPED = FileKind("zip", _starts(*_ZIP))
_LEGACY_OFFICE = FileKind("Office", _starts(_OLE))
_TEXT = FileKind("text", _is_text)
_RTF = FileKind("RTF", _starts(b"{\\rtf"))
_MAIL = FileKind("e-mail", _is_mail)

#: The allowlist: extension -> what its first bytes must look like.
ALLOWED: dict[str, FileKind] = {
    ".pdf": _PDF,
    ".png": _PNG,
    ".jpg": _JPEG,
    ".jpeg": _JPEG,
    ".gif": _GIF,
    ".webp": _WEBP,
    ".zip": _ZIPPED,
    ".docx": _ZIPPED,
    ".xlsx": _ZIPPED,
    ".pptx": _ZIPPED,
    ".odt": _ZIPPED,
    ".ods": _ZIPPED,
    ".odp": _ZIPPED,
    ".doc": _LEGACY_OFFICE,
    ".xls": _LEGACY_OFFICE,
    ".ppt": _LEGACY_OFFICE,
    ".msg": _LEGACY_OFFICE,
    ".rtf": _RTF,
    ".txt": _TEXT,
    ".log": _TEXT,
    ".csv": _TEXT,
    ".eml": _MAIL,
}


# --- Names ---------------------------------------------------------------------------------

_QUOTES = "\"'`\u2018\u2019\u201c\u201d"
_RESERVED = re.compile(r'[<>:|?*"\\/]')


def _name_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if ch in "\r\n\t" or category[0] == "Z":
        return " "
    return "" if category[0] == "C" else ch


def display_name(name: str) -> str:
    """The user's file name made harmless to show and to send back in a header.

    Only the last path part is kept (``../../etc/passwd`` -> ``passwd``, ``..\\boot.ini`` ->
    ``boot.ini``); control and format characters (CR, LF, NUL, right-to-left overrides), quotes
    and characters Windows refuses are removed; the result is at most 255 characters long with
    its extension kept. An empty result becomes ``attachment``.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(_name_char(ch) for ch in name)
    name = _RESERVED.sub("", name.translate({ord(q): None for q in _QUOTES}))
    name = " ".join(name.split()).strip(". ")
    if len(name) > NAME_MAX_LENGTH:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and 0 < len(ext) <= 10 else ""
        keep = NAME_MAX_LENGTH - (len(ext) + 1 if ext else 0)
        name = (stem if ext else name)[:keep].rstrip(". ") + (f".{ext}" if ext else "")
    return name or "attachment"


def extension(name: str) -> str:
    """The lower-case extension of a cleaned name, dot included ('' when none)."""
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem and ext.isalnum() else ""


def storage_name(client_id: int, ext: str, *, now=None) -> str:
    """Where a file goes: generated, never the user's name (``attachments/7/2026/11/<hex>.pdf``)."""
    now = now or timezone.now()
    return f"attachments/{int(client_id)}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}{ext}"


# --- Checking an upload --------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, with the name to show and the extension to store."""

    upload: UploadedFile
    name: str
    ext: str
    size: int


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head


def check_upload(upload: UploadedFile) -> CheckedFile:
    """The upload, checked for size, extension and content; ValidationError when refused."""
    name = display_name(getattr(upload, "name", ""))
    size = upload.size or 0
    limit = max_bytes()
    if size > limit:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)s); the limit is %(limit)s.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    ext = extension(name)
    kind = ALLOWED.get(ext)
    if kind is None:
        raise ValidationError(
            _("“%(name)s”: this type of file is not accepted. Accepted: %(types)s.")
            % {"name": name, "types": ", ".join(sorted({e[1:] for e in ALLOWED}))},
            code="type",
        )
    if not kind.sniff(_head(upload)):
        raise ValidationError(
            _("“%(name)s” does not contain what its name says (%(kind)s); it was refused.")
            % {"name": name, "kind": kind.label},
            code="content",
        )
    return CheckedFile(upload=upload, name=name, ext=ext, size=size)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more files, each checked by :func:`check_upload`; cleans to ``list[CheckedFile]``."""

    default_error_messages = {
        "too_many": gettext_lazy("Attach at most %(max)s files to one message."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("Attachments"))
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list[CheckedFile]:
        uploads = [d for d in (data if isinstance(data, list | tuple) else [data]) if d]
        if len(uploads) > max_files():
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": max_files()}
            )
        errors, checked = [], []
        for upload in uploads:
            try:
                checked.append(check_upload(super().clean(upload, initial)))
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return checked


# --- Reading and serving -------------------------------------------------------------------


def attachments_for_user(user):
    """Attachments this user may download: their own tenancy rule *and* the parent ticket's
    visibility, and never a row whose ticket or event belongs elsewhere."""
    return (
        Attachment.objects.for_user(user)
        .filter(ticket__in=Ticket.objects.for_user(user).values("pk"))
        .filter(ticket__client_id=F("client_id"))
        .filter(Q(event__isnull=True) | Q(event__ticket_id=F("ticket_id")))
    )


def attachment_for_user(user, pk) -> Attachment:
    """One attachment the user may download, or 404 (missing and forbidden look the same)."""
    return get_for_user(attachments_for_user(user), user, pk=pk)


def prefetch_timeline_attachments(timeline: Iterable, user) -> None:
    """Load the visible attachments of every timeline event in one query."""
    events = [entry.event for entry in timeline]
    visible = attachments_for_user(user).order_by("created_at", "pk")
    prefetch_related_objects(events, Prefetch("attachments", queryset=visible))


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download that no browser will render, sniff or cache for others."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError, OSError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, content_type="application/octet-stream")
    name = display_name(attachment.original_name)
    response["Content-Disposition"] = download_disposition(name, fallback="attachment")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
