"""Which network addresses the portal itself may connect to: webhooks and monitoring probes.

The portal makes requests on behalf of its users (a webhook URL, a monitored site); it must not
become a way into its own host, its LAN or its cloud account. One :class:`AddressPolicy`
answers for one address, after the host name was resolved, and the caller then connects to that
very address, so a DNS answer that changes in between cannot slip past it.

The rules, in order:

- the address is first reduced to the IPv4 address it really reaches when it embeds one
  (IPv4-mapped ``::ffff:a.b.c.d``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``);
- multicast and unspecified addresses are never a target (0.0.0.0 reaches the host itself);
- link-local and cloud metadata addresses (:data:`METADATA_NETWORKS`) are refused unless an
  allowed network *inside* those ranges contains it: allowing ``169.254.0.0/16`` for devices
  on APIPA addresses works, allowing ``0.0.0.0/0`` does not open the metadata service;
- anything not globally routable (loopback, private, shared, reserved, documentation) is
  refused unless ``allow_private`` is set or an allowed network contains it.

Numeric spellings (``2130706433``, ``0x7f.1``, ``017700000001``, ``127.1``) are what the C
library makes of them: :func:`resolve` goes through ``getaddrinfo`` and :func:`literal_ip`
parses them the same way, so they are judged as the address they stand for.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import socket
from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Link-local ranges and cloud instance-metadata endpoints: AWS, GCP, Azure and OpenStack
#: (169.254.169.254), AWS over IPv6 (fd00:ec2::254), Alibaba (100.100.100.200), Oracle
#: (192.0.0.192), Azure's wire server (168.63.129.16).
METADATA_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "169.254.0.0/16",
        "fe80::/10",
        "fd00:ec2::254/128",
        "100.100.100.200/32",
        "192.0.0.192/32",
        "168.63.129.16/32",
    )
)

NAT64 = ipaddress.ip_network("64:ff9b::/96")

# Refusal rules, as stable codes: stored with a probe's result and rendered in the reader's
# language later (see monitoring.messages).
NOT_HOST = "not_host"
METADATA = "metadata"
PRIVATE = "private"

_LEGACY_IPV4 = re.compile(r"[0-9a-fA-FxX.]+")


def reason_text(rule: str, ip: object) -> str:
    """The sentence for a refusal rule, in the active language."""
    if rule == NOT_HOST:
        return _("%(ip)s is not a host address.") % {"ip": ip}
    if rule == METADATA:
        return _("%(ip)s is a link-local or cloud metadata address.") % {"ip": ip}
    return _("%(ip)s is a private, loopback or reserved address.") % {"ip": ip}


def effective_ip(ip: IPAddress) -> IPAddress:
    """The address a connection to ``ip`` really reaches: the IPv4 one an IPv6 form embeds."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def literal_ip(host: str) -> IPAddress | None:
    """The address a host string spells out, or None for a name.

    Accepts what ``getaddrinfo`` accepts as numbers: dotted quads, bracketed IPv6, and the
    legacy IPv4 forms of ``inet_aton`` (decimal, octal and hexadecimal parts, fewer than four).
    """
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


class AddressPolicy:
    """An allow-list of networks plus whether private ranges are allowed wholesale."""

    def __init__(self, allowed: Iterable[IPNetwork | str] = (), *, allow_private: bool = False):
        self.allowed: tuple[IPNetwork, ...] = tuple(
            ipaddress.ip_network(net, strict=False) for net in allowed
        )
        self.allow_private = allow_private

    def __repr__(self) -> str:
        nets = ", ".join(str(n) for n in self.allowed)
        return f"AddressPolicy([{nets}], allow_private={self.allow_private})"

    def rule(self, ip: IPAddress | str) -> str | None:
        """The code of the rule that refuses this address (see the module), or None."""
        if isinstance(ip, str):
            ip = ipaddress.ip_address(ip.split("%", 1)[0])
        ip = effective_ip(ip)
        if ip.is_multicast or ip.is_unspecified:
            return NOT_HOST
        for meta in METADATA_NETWORKS:
            if ip in meta:
                if any(ip in net and net.subnet_of(meta) for net in self._same_version(ip)):
                    return None
                return METADATA
        if (
            not ip.is_global
            and not self.allow_private
            and not any(ip in net for net in self._same_version(ip))
        ):
            return PRIVATE
        return None

    def refusal(self, ip: IPAddress | str) -> str | None:
        """Why the portal must not connect to this address (translated), or None if it may."""
        rule = self.rule(ip)
        if rule is None:
            return None
        if isinstance(ip, str):
            ip = ipaddress.ip_address(ip.split("%", 1)[0])
        return reason_text(rule, effective_ip(ip))

    def _same_version(self, ip: IPAddress) -> Iterable[IPNetwork]:
        return (net for net in self.allowed if net.version == ip.version)


@functools.lru_cache(maxsize=8)
def _cached_policy(allowed: tuple[str, ...], allow_private: bool) -> AddressPolicy:
    return AddressPolicy(allowed, allow_private=allow_private)


def monitoring_policy() -> AddressPolicy:
    """Checks reach public addresses and the networks of ``MONITORING_ALLOWED_NETWORKS``."""
    return _cached_policy(tuple(settings.MONITORING_ALLOWED_NETWORKS), False)


def webhook_policy() -> AddressPolicy:
    """Webhooks reach public addresses, and private ones with ``WEBHOOK_ALLOW_PRIVATE_TARGETS``;
    no allowed network, so metadata addresses stay refused whatever the setting."""
    return _cached_policy((), bool(settings.WEBHOOK_ALLOW_PRIVATE_TARGETS))


def _addresses(infos: Iterable[tuple]) -> list[IPAddress]:
    found: list[IPAddress] = []
    for *_rest, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in found:
            found.append(ip)
    return found


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host name resolves to (a literal address resolves to itself), without
    duplicates or IPv6 scope ids; raises OSError when it does not resolve."""
    host = host.strip("[]")
    return _addresses(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))


async def resolve_async(host: str, port: int) -> list[IPAddress]:
    """:func:`resolve` on the running loop's resolver (a thread), literals without one."""
    ip = literal_ip(host)
    if ip is not None:
        return [ip]
    loop = asyncio.get_running_loop()
    return _addresses(await loop.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM))
