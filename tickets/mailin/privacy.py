"""Erasure (RGPD/GDPR art. 17) of a person in the mail kept from them.

``msp_portal.core.privacy.person_erase`` calls :func:`inbound_messages_pseudonymise` (registered
in ``TicketsConfig.ready``) with the person's old name and address and their replacements. The
raw copy of each message they sent is dropped -- its headers and encoded body cannot be
rewritten reliably -- and the sender, the name and the text read from it are pseudonymised. The
ticket the message became stays, already pseudonymised by the ticket history scrub.
"""

from __future__ import annotations

from django.db.models import Q

from ..models import InboundMessage


def inbound_messages_pseudonymise(*, client_id: int | None, replacements: dict[str, str]) -> int:
    """Returns the messages changed. Unknown senders' messages (no client) are searched too."""
    if not replacements:
        return 0
    rows = InboundMessage.objects.all()
    if client_id is not None:
        rows = rows.filter(Q(client_id=client_id) | Q(client__isnull=True))
    changed: set[int] = set()
    for old, new in replacements.items():
        if "@" in old:
            sent = list(rows.filter(sender__iexact=old).values_list("pk", flat=True))
            rows.filter(pk__in=sent).update(sender=new, sender_name="", raw=b"")
            changed.update(sent)
    mentions = Q(pk__in=[])
    for old in replacements:
        mentions |= Q(sender_name__icontains=old) | Q(body_text__icontains=old)
        mentions |= Q(subject__icontains=old)
    for message in rows.filter(mentions).only("pk", "sender_name", "subject", "body_text"):
        values = {
            field: _replace(getattr(message, field), replacements)
            for field in ("sender_name", "subject", "body_text")
        }
        InboundMessage.objects.filter(pk=message.pk).update(**values)
        changed.add(message.pk)
    return len(changed)


def _replace(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        if old:
            text = _ireplace(text, old, new)
    return text


def _ireplace(text: str, old: str, new: str) -> str:
    """Case-insensitive replacement: an address may be written Anna@Acme.test."""
    lower, needle, out, start = text.lower(), old.lower(), [], 0
    while (found := lower.find(needle, start)) >= 0:
        out.append(text[start:found] + new)
        start = found + len(old)
    return "".join(out) + text[start:]
