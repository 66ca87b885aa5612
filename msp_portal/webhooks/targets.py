"""Which addresses a webhook may call, checked when a hook is saved and again before each send.

What this guards: only http and https; every address the host name resolves to is checked
(the rules live in ``msp_portal.core.netguard``, shared with monitoring), and cloud metadata and
link-local addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254 and the other clouds') are always
refused. Private, loopback, shared and reserved ranges are refused too unless
``WEBHOOK_ALLOW_PRIVATE_TARGETS`` is set (an MSP whose receiver lives on its own LAN; the tests).
The sender connects to the very address checked here (see ``services._pinned_connection``), so
a DNS answer that changes between the check and the connection cannot redirect it, and it never
follows redirects.

The sender also bounds each attempt as a whole (twice WEBHOOK_TIMEOUT_SECONDS, however slowly
the receiver drips its answer) and reads at most 2 KB of it. Not done: egress through a proxy,
and webhooks managed by client administrators.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from msp_portal.core import netguard
from msp_portal.core.netguard import IPAddress, resolve

__all__ = ["ALWAYS_REFUSED", "IPAddress", "check_url", "refusal", "resolve"]

#: Never a webhook target, whatever the settings: instance metadata and link-local services.
ALWAYS_REFUSED = netguard.METADATA_NETWORKS


def refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why the portal must not call this address, or None when it may."""
    return netguard.AddressPolicy(allow_private=allow_private).refusal(ip)


def check_url(url: str, *, field: str | None = None) -> list[IPAddress]:
    """The addresses this URL may be sent to; ValidationError when it must not be called."""

    def refuse(message: str) -> ValidationError:
        return ValidationError({field: message} if field else message)

    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise refuse(_("Only http:// and https:// addresses can receive webhooks."))
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise refuse(_("This address has an invalid port.")) from None
    if not host:
        raise refuse(_("This address has no host name."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        raise refuse(_("The host name %(host)s cannot be resolved.") % {"host": host}) from None
    if not addresses:
        raise refuse(_("The host name %(host)s cannot be resolved.") % {"host": host})
    policy = netguard.webhook_policy()
    for ip in addresses:
        reason = policy.refusal(ip)
        if reason:
            raise refuse(_("Webhooks cannot be sent there: %(reason)s") % {"reason": reason})
    return addresses
