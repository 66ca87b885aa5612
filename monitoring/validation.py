"""The settings of each kind of check, cleaned and checked before a check is saved.

``validate_config`` is what the check form, the admin and the API call (resolving host names and
applying the address policy) and what the probes call again before each run (without resolving):
one set of rules for both. The settings of each kind are described in ``probes.py``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.resolver
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from msp_portal.core import netguard
from msp_portal.core.netguard import AddressPolicy, IPAddress

KINDS = ("http", "tls", "tcp", "dns", "ping", "heartbeat")
HTTP_METHODS = ("GET", "HEAD", "POST")
DNS_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS")


def parse_resolver(value: str) -> tuple[IPAddress, int]:
    """``"192.0.2.53"``, ``"192.0.2.53:5353"``, ``"2001:db8::53"`` or ``"[2001:db8::53]:53"``;
    ValueError otherwise."""
    value = value.strip()
    match = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?", value)
    if match:
        host, port = match[1], match[2]
    elif value.count(":") == 1:
        host, port = value.split(":")
    else:
        host, port = value, None
    ip = ipaddress.ip_address(host)
    number = int(port) if port else 53
    if not 1 <= number <= 65535:
        raise ValueError(value)
    return ip, number


_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)", re.IGNORECASE)


class _Cleaner:
    """Collects the cleaned settings, the errors, and the hosts to resolve and check."""

    def __init__(self, kind: str, config: dict):
        self.kind, self.src = kind, config
        self.out: dict[str, Any] = {}
        self.errors: list[ValidationError] = []
        self.hosts: list[tuple[str, int]] = []

    def error(self, message: str, code: str = "invalid") -> None:
        self.errors.append(ValidationError(message, code=code))

    def given(self, key: str) -> bool:
        return self.src.get(key) not in (None, "")

    def missing(self, key: str, example: str) -> None:
        self.error(
            _('Give the "%(key)s" setting, e.g. %(example)s.') % {"key": key, "example": example},
            code="required",
        )

    def boolean(self, key: str) -> None:
        if key in self.src:
            if isinstance(self.src[key], bool):
                self.out[key] = self.src[key]
            else:
                self.error(_('"%(key)s" must be true or false.') % {"key": key})

    def text(self, key: str, *, limit: int = 500) -> None:
        if not self.given(key):
            return
        value = self.src[key]
        if isinstance(value, str) and value.strip() and len(value) <= limit:
            self.out[key] = value
        else:
            self.error(
                _('"%(key)s" must be a text of at most %(limit)s characters.')
                % {"key": key, "limit": limit}
            )

    def integer(self, key: str, *, low: int, high: int, message: str) -> int | None:
        if key not in self.src or self.src[key] is None:
            return None
        value = self.src[key]
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            self.out[key] = value
            return value
        self.error(message)
        return None

    def port(self, *, required: bool, default: int | None = None) -> int | None:
        if required and "port" not in self.src:
            self.missing("port", "443")
            return None
        value = self.integer(
            "port", low=1, high=65535, message=_('"port" must be a whole number from 1 to 65535.')
        )
        return value if value is not None else default

    def host(self, key: str, port: int | None) -> None:
        if not self.given(key):
            self.missing(key, '"www.example.com"')
            return
        value = self.src[key]
        host = _clean_host(value) if isinstance(value, str) else None
        if host is None:
            self.error(
                _('"%(key)s" must be a host name or an IP address, e.g. "mail.example.com".')
                % {"key": key}
            )
            return
        self.out[key] = host
        self.hosts.append((host, port or 0))

    def unknown(self, known: Iterable[str]) -> None:
        extra = sorted(set(self.src) - set(known))
        for key in extra:
            self.error(
                _('Unknown setting "%(key)s" for this kind of check; the settings are: %(known)s.')
                % {"key": key, "known": ", ".join(known) or "-"},
                code="unknown_setting",
            )


def _clean_host(value: str) -> str | None:
    """The host, with an address written the usual way; None when it is neither."""
    value = value.strip()
    ip = netguard.literal_ip(value)
    if ip is not None:
        return str(ip)
    if not value or len(value) > 253:
        return None
    try:
        ascii_name = value.rstrip(".").encode("idna").decode()
    except UnicodeError:
        return None
    if all(_HOST_LABEL.fullmatch(label) for label in ascii_name.split(".")):
        return value
    return None


def _clean_http(c: _Cleaner) -> None:
    c.unknown(
        [
            "url",
            "method",
            "expected_status",
            "keyword",
            "keyword_absent",
            "verify_tls",
            "follow_redirects",
        ]
    )
    url = c.src.get("url")
    if url in (None, ""):
        c.missing("url", '"https://www.example.com/health"')
    elif not isinstance(url, str) or len(url) > 2000:
        c.error(_('"url" must be an address of at most 2000 characters.'))
    else:
        _clean_url(c, url.strip())
    if c.given("method"):
        method = c.src["method"]
        if isinstance(method, str) and method.upper() in HTTP_METHODS:
            c.out["method"] = method.upper()
        else:
            c.error(_('"method" must be GET, HEAD or POST.'))
    if "expected_status" in c.src and c.src["expected_status"] is not None:
        codes = c.src["expected_status"]
        codes = [codes] if isinstance(codes, int) and not isinstance(codes, bool) else codes
        if (
            isinstance(codes, list)
            and codes
            and all(isinstance(s, int) and not isinstance(s, bool) for s in codes)
            and all(100 <= s <= 599 for s in codes)
        ):
            c.out["expected_status"] = sorted(set(codes))
        else:
            c.error(
                _(
                    '"expected_status" must be a list of HTTP status codes from 100 to 599, '
                    "e.g. [200, 301]."
                )
            )
    c.text("keyword")
    c.text("keyword_absent")
    if c.out.get("method") == "HEAD" and ("keyword" in c.out or "keyword_absent" in c.out):
        c.error(_("A HEAD request gets no page to search for a keyword: use GET."))
    c.boolean("verify_tls")
    c.boolean("follow_redirects")


_SPACE = re.compile(r"\s")
_NUMERIC = re.compile(r"[0-9a-fA-FxX.]+")


def _unusual_ipv4(host: str) -> str | None:
    """The dotted quad a legacy numeric spelling ("2130706433", "127.1") stands for."""
    if not _NUMERIC.fullmatch(host):
        return None
    try:
        usual = socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None
    return usual if usual != host else None


def _clean_url(c: _Cleaner, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        c.error(_('"url" must start with http:// or https://.'))
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        c.error(_('The port in "url" must be a number from 1 to 65535.'))
        return
    if not host:
        c.error(_('"url" has no host name.'))
        return
    if _SPACE.search(url):
        c.error(_('"url" must not contain spaces; write them as %20.'))
        return
    ip = _unusual_ipv4(host)
    if ip is not None:
        # aiohttp refuses these spellings; the address they stand for is checked below anyway.
        c.error(
            _('The host %(host)s in "url" stands for the address %(ip)s: write %(ip)s.')
            % {"host": host, "ip": ip}
        )
    c.out["url"] = url
    c.hosts.append((host, port or (443 if parts.scheme.lower() == "https" else 80)))


def _clean_tls(c: _Cleaner) -> None:
    c.unknown(["host", "port", "server_name", "verify", "warning_days", "critical_days"])
    c.host("host", c.port(required=False, default=443))
    if c.given("server_name"):
        name = c.src["server_name"]
        cleaned = _clean_host(name) if isinstance(name, str) else None
        if cleaned is None:
            c.error(_('"server_name" must be a host name, e.g. "www.example.com".'))
        else:
            c.out["server_name"] = cleaned
    c.boolean("verify")
    days = _('"%(key)s" must be a whole number of days from 0 to 3650.')
    warning = c.integer("warning_days", low=0, high=3650, message=days % {"key": "warning_days"})
    critical = c.integer("critical_days", low=0, high=3650, message=days % {"key": "critical_days"})
    if warning is not None and critical is not None and critical > warning:
        c.error(_('"critical_days" must not be more than "warning_days".'))


def _clean_tcp(c: _Cleaner) -> None:
    c.unknown(["host", "port"])
    c.host("host", c.port(required=True))


def _clean_dns(c: _Cleaner) -> None:
    c.unknown(["name", "record_type", "expected", "resolver"])
    name = c.src.get("name")
    if name in (None, ""):
        c.missing("name", '"www.example.com"')
    else:
        try:
            if not isinstance(name, str):
                raise ValueError(name)
            dns.name.from_text(name.strip())
            c.out["name"] = name.strip()
        except (ValueError, dns.exception.DNSException):
            c.error(_('"name" must be a domain name, e.g. "www.example.com".'))
    rdtype = c.src.get("record_type") or "A"
    if isinstance(rdtype, str) and rdtype.upper() in DNS_TYPES:
        c.out["record_type"] = rdtype.upper()
    else:
        c.error(_('"record_type" must be one of %(types)s.') % {"types": ", ".join(DNS_TYPES)})
    if c.given("expected"):
        expected = c.src["expected"]
        expected = [expected] if isinstance(expected, str) else expected
        if isinstance(expected, list) and all(isinstance(e, str) and e.strip() for e in expected):
            c.out["expected"] = [e.strip() for e in expected]
        else:
            c.error(_('"expected" must be a text or a list of texts.'))
    if c.given("resolver"):
        try:
            ip, port = parse_resolver(str(c.src["resolver"]))
        except ValueError:
            c.error(
                _(
                    '"resolver" must be an IP address, with a port if not 53: "192.0.2.53", '
                    '"192.0.2.53:5353" or "[2001:db8::53]:53".'
                )
            )
        else:
            c.out["resolver"] = str(c.src["resolver"]).strip()
            c.hosts.append((str(ip), port))


def _clean_ping(c: _Cleaner) -> None:
    c.unknown(["host"])
    c.host("host", None)


def _clean_heartbeat(c: _Cleaner) -> None:
    c.unknown([])


_CLEANERS = {
    "http": _clean_http,
    "tls": _clean_tls,
    "tcp": _clean_tcp,
    "dns": _clean_dns,
    "ping": _clean_ping,
    "heartbeat": _clean_heartbeat,
}


def validate_config(
    kind: str, config: dict, *, policy: AddressPolicy | None = None, resolve: bool = True
) -> dict:
    """The cleaned settings of a check of this kind, or ValidationError({"config": [...]}).

    With ``resolve`` every host is resolved and each address checked against the policy
    (``MONITORING_ALLOWED_NETWORKS`` by default); a form or the API calls it that way, the
    probes without it. Defaults are not filled in: the probes apply them.
    """
    cleaner = _CLEANERS.get(kind)
    if cleaner is None:
        raise ValidationError({"kind": _("Unknown kind of check: %(kind)s.") % {"kind": kind}})
    if not isinstance(config, dict):
        raise ValidationError({"config": _("The settings must be a JSON object.")})
    c = _Cleaner(kind, config)
    cleaner(c)
    if resolve:
        _check_hosts(c, policy or netguard.monitoring_policy())
    if c.errors:
        raise ValidationError({"config": c.errors})
    return c.out


def _check_hosts(c: _Cleaner, policy: AddressPolicy) -> None:
    for host, port in c.hosts:
        try:
            addresses = netguard.resolve(host, port)
        except (OSError, UnicodeError, ValueError):
            addresses = []
        if not addresses:
            c.error(
                _("The host name %(host)s cannot be resolved.") % {"host": host},
                code="unresolvable",
            )
            continue
        for ip in addresses:
            rule = policy.rule(ip)
            if rule is None:
                continue
            real = netguard.effective_ip(ip)
            sentences = [
                netguard.reason_text(rule, real),
                _(
                    "Checks may not connect to it unless an administrator allows its range in "
                    "the MONITORING_ALLOWED_NETWORKS setting."
                ),
            ]
            if host != str(real):
                sentences.insert(0, _("%(host)s resolves to %(ip)s.") % {"host": host, "ip": real})
            c.error(" ".join(sentences), code="refused_address")
            break
