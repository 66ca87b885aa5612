"""The probes: one network test per check, run concurrently in batches with asyncio.

The engine hands :func:`run_probes` a batch of :class:`ProbeSpec` and gets one
:class:`ProbeResult` per spec, in the same order. A probe never raises: what goes wrong with the
target is a ``failure``, what stops the probe from running (a refused address, settings that do
not validate, a crash) is an ``error``. Each probe runs under a hard ``asyncio.timeout`` of the
check's timeout, and at most ``concurrency`` run at once (a pool of that many workers).

Every address is checked by ``msp_portal.core.netguard`` (``MONITORING_ALLOWED_NETWORKS``) before
anything is sent to it: HTTP goes through one ``aiohttp.ClientSession`` per batch whose resolver
refuses names that resolve to a forbidden address and whose socket factory refuses literal ones,
so the check happens at connect time for the first request and for every redirect; the other
kinds resolve the host once, check every address and connect to the first one.

Settings per kind (``Check.config``; :func:`validate_config` cleans them):

``http``
    ``url`` (http:// or https://, required); ``method`` GET, HEAD or POST (GET);
    ``expected_status`` list of status codes (default: any 2xx or 3xx); ``keyword`` text that
    must appear in the body; ``keyword_absent`` text that must not; ``verify_tls`` (true);
    ``follow_redirects`` (true, at most 5). The body is read only for a keyword, 1 MB at most.
    Latency runs until the final response's headers (and the body, when a keyword is sought).
``tls``
    ``host`` (required), ``port`` (443), ``server_name`` for SNI and the name check (the host),
    ``verify`` the chain and name (true), ``warning_days`` (21, degraded below),
    ``critical_days`` (7, failure below). The certificate's subject, issuer, dates, names and
    fingerprint are recorded even when it does not verify.
``tcp``
    ``host`` and ``port`` (both required): the port accepts a connection.
``dns``
    ``name`` (required), ``record_type`` A, AAAA, CNAME, MX, TXT or NS (A), ``expected`` a text
    or a list of texts that must all be among the answers (names compare without case or final
    dot; an MX may be given with or without its preference), ``resolver`` an address, with an
    optional port ("192.0.2.53:5353", "[2001:db8::53]:53"), instead of the system's.
``ping``
    ``host`` (required): one ICMP echo request. Unprivileged ICMP sockets need the worker's group
    in the sysctl ``net.ipv4.ping_group_range``; raw sockets (root, CAP_NET_RAW) are the
    fallback; with neither the result is an ``error`` saying so.
``heartbeat``
    No settings; never probed. The engine hands it over only once its deadline passed, so the
    result is a failure, ``heartbeat_missed``.

Above the check's ``degraded_latency_ms`` a success becomes ``degraded`` (``slow_response``).
Result codes and their sentences are in ``monitoring.messages``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import ipaddress
import logging
import math
import os
import random
import socket
import ssl
import struct
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import aiohttp
import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.resolver
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.core.exceptions import ValidationError

from msp_portal.core import netguard
from msp_portal.core.netguard import AddressPolicy, IPAddress

from .messages import describe

# The settings rules live in validation.py; re-exported for the forms, services and tests.
from .validation import (  # noqa: F401
    DNS_TYPES,
    HTTP_METHODS,
    KINDS,
    parse_resolver,
    validate_config,
)

logger = logging.getLogger(__name__)

SUCCESS, DEGRADED, FAILURE, ERROR = "success", "degraded", "failure", "error"
MAX_REDIRECTS = 5
BODY_LIMIT = 1024 * 1024
USER_AGENT = "MSP-Portal-Monitoring/1.0"


# --- interface -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeSpec:
    """What to probe: a check's kind and settings, with its hard time limit in seconds."""

    check_id: int
    kind: str
    config: dict
    timeout: float
    degraded_latency_ms: int | None = None


@dataclass(slots=True)
class ProbeResult:
    """What one probe found; ``code`` and ``params`` render the message in any language."""

    outcome: str
    latency_ms: float | None
    code: str
    params: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return describe(self.code, self.params)


def _result(
    outcome: str,
    code: str,
    latency: float | None = None,
    params: dict | None = None,
    data: dict | None = None,
) -> ProbeResult:
    latency_ms = None if latency is None else round(latency * 1000, 1)
    return ProbeResult(outcome, latency_ms, code, params or {}, data or {})


async def run_probes(
    specs: list[ProbeSpec], *, concurrency: int = 200, policy: AddressPolicy | None = None
) -> list[ProbeResult]:
    """Run a batch of probes concurrently; one result per spec, in order, never an exception."""
    batch = _Batch(policy or netguard.monitoring_policy(), concurrency)
    results: list[ProbeResult] = [None] * len(specs)  # type: ignore[list-item]
    queue = iter(enumerate(specs))

    # A fixed pool of workers, rather than a task per spec behind a semaphore: the same bound
    # on probes in flight, without thousands of waiting tasks (10 % less CPU per probe).
    async def worker() -> None:
        for index, spec in queue:
            results[index] = await batch.run(spec)

    try:
        await asyncio.gather(*(worker() for _ in range(min(batch.concurrency, len(specs)))))
    finally:
        await batch.close()
    return results


def run_probes_sync(specs: list[ProbeSpec], **kwargs: Any) -> list[ProbeResult]:
    """:func:`run_probes` from synchronous code (a Celery task): its own event loop."""
    return asyncio.run(run_probes(specs, **kwargs))


# --- the batch: shared session, concurrency, time limit -------------------------------------


class AddressRefused(OSError):
    """Raised at connect time for an address the policy forbids; nothing was sent to it."""

    def __init__(self, ip: IPAddress, rule: str, host: str = ""):
        super().__init__(f"{ip}: refused ({rule})")
        self.ip, self.rule, self.host = ip, rule, host


class PolicyResolver(AbstractResolver):
    """aiohttp's resolver, refusing a name when any of its addresses is forbidden.

    aiohttp does not ask the resolver about literal addresses; ``_Batch.socket_factory``
    checks those (and every address again) right before the socket is created.
    """

    def __init__(self, policy: AddressPolicy, seen: dict[str, list[str]] | None = None):
        self._policy = policy
        self._inner = DefaultResolver()
        self._seen = seen if seen is not None else {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        ip = netguard.literal_ip(host)  # "0x7f.1" and friends, which aiohttp takes for names
        if ip is not None:
            results: list[ResolveResult] = [
                {
                    "hostname": host,
                    "host": str(ip),
                    "port": port,
                    "family": socket.AF_INET if ip.version == 4 else socket.AF_INET6,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            ]
        else:
            results = await self._inner.resolve(host, port, family)
        addresses = []
        for found in results:
            ip = ipaddress.ip_address(found["host"].split("%", 1)[0])
            rule = self._policy.rule(ip)
            if rule is not None:
                raise AddressRefused(netguard.effective_ip(ip), rule, host)
            addresses.append(str(ip))
        self._seen[host] = addresses
        return results

    async def close(self) -> None:
        await self._inner.close()


class _Batch:
    """State shared by the probes of one batch: the policy, the session, the DNS resolver."""

    def __init__(self, policy: AddressPolicy, concurrency: int):
        self.policy = policy
        self.concurrency = max(1, concurrency)
        self.resolved: dict[str, list[str]] = {}
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}
        self._system_resolver: dns.asyncresolver.Resolver | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        # Created on first use, without awaiting, so concurrent probes share one.
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=PolicyResolver(self.policy, self.resolved),
                socket_factory=self.socket_factory,
                limit=self.concurrency,
                limit_per_host=0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # checks share no state
                headers={"User-Agent": USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=None),
            )
        return self._session

    def socket_factory(self, addr_info: tuple) -> socket.socket:
        family, type_, proto, _canon, address = addr_info
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
        rule = self.policy.rule(ip)
        if rule is not None:
            raise AddressRefused(netguard.effective_ip(ip), rule)
        return socket.socket(family, type_, proto)

    def client_timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = self._timeouts[seconds] = aiohttp.ClientTimeout(
                total=seconds, sock_connect=seconds
            )
        return timeout

    def system_resolver(self) -> dns.asyncresolver.Resolver:
        if self._system_resolver is None:
            self._system_resolver = dns.asyncresolver.Resolver()
        return self._system_resolver

    async def run(self, spec: ProbeSpec) -> ProbeResult:
        started = perf_counter()
        try:
            async with asyncio.timeout(spec.timeout):
                result = await self._probe(spec)
        except TimeoutError:
            result = _timeout(spec, perf_counter() - started)
        except Exception as exc:
            logger.exception("Probe of check %s (%s) crashed", spec.check_id, spec.kind)
            result = _result(ERROR, "probe_crashed", params={"error": type(exc).__name__})
        threshold = spec.degraded_latency_ms
        if (
            threshold is not None
            and result.outcome == SUCCESS
            and result.latency_ms is not None
            and result.latency_ms > threshold
        ):
            result.outcome, result.code = DEGRADED, "slow_response"
            result.params = {"latency_ms": round(result.latency_ms), "threshold_ms": threshold}
        return result

    async def _probe(self, spec: ProbeSpec) -> ProbeResult:
        probe = PROBES.get(spec.kind)
        if probe is None:
            return _result(ERROR, "unknown_kind", params={"kind": spec.kind})
        try:
            config = validate_config(spec.kind, spec.config, resolve=False)
        except ValidationError as exc:
            return _result(ERROR, "invalid_config", params={"reason": " ".join(exc.messages)})
        return await probe(self, spec, config)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _timeout(spec: ProbeSpec, elapsed: float) -> ProbeResult:
    return _result(
        FAILURE,
        "timeout",
        params={"seconds": spec.timeout},
        data={"elapsed_ms": round(elapsed * 1000, 1)},
    )


def _refused(ip: IPAddress, rule: str, host: str = "") -> ProbeResult:
    params = {"ip": str(ip), "rule": rule}
    if host and host != str(ip):
        params["host"] = host
    return _result(ERROR, "refused_address", params=params)


async def _checked_address(
    batch: _Batch, host: str, port: int
) -> tuple[IPAddress | None, ProbeResult | None]:
    """The address to connect to, once every address of the host passed the policy."""
    try:
        addresses = await netguard.resolve_async(host, port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        return None, _result(FAILURE, "host_unresolved", params={"host": host})
    for ip in addresses:
        rule = batch.policy.rule(ip)
        if rule is not None:
            return None, _refused(netguard.effective_ip(ip), rule, host)
    return addresses[0], None


def _connect_failure(exc: OSError, ip: object, port: int, latency: float) -> ProbeResult:
    data = {"address": str(ip), "port": port}
    if isinstance(exc, ConnectionRefusedError):
        return _result(
            FAILURE, "connection_refused", latency, {"address": str(ip), "port": port}, data
        )
    return _result(FAILURE, "connection_failed", latency, {"reason": _os_reason(exc)}, data)


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


# --- http -------------------------------------------------------------------------------------


@functools.cache
def _tls_context(verify: bool) -> ssl.SSLContext:
    """One context per batch process, for HTTP and TLS probes alike (tests give it a CA)."""
    if verify:
        return ssl.create_default_context()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _read_capped(content: aiohttp.StreamReader, limit: int = BODY_LIMIT) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = await content.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _contains(body: bytes, text: str, charset: str | None) -> bool:
    if text.encode() in body:
        return True
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        try:
            return text.encode(charset) in body
        except (LookupError, UnicodeError):
            return False
    return False


def _status_ok(status: int, expected: list[int] | None) -> bool:
    if expected is None:
        return 200 <= status < 400
    return status in expected


async def _probe_http(batch: _Batch, spec: ProbeSpec, config: dict) -> ProbeResult:
    url = config["url"]
    keyword, absent = config.get("keyword"), config.get("keyword_absent")
    expected = config.get("expected_status")
    started = perf_counter()
    try:
        async with batch.session.request(
            config.get("method", "GET"),
            url,
            allow_redirects=config.get("follow_redirects", True),
            max_redirects=MAX_REDIRECTS + 1,  # aiohttp counts the redirect it refuses
            ssl=_tls_context(True) if config.get("verify_tls", True) else False,
            timeout=batch.client_timeout(spec.timeout),
        ) as response:
            status = response.status
            body = b""
            if (keyword or absent) and config.get("method") != "HEAD":
                body = await _read_capped(response.content)
            latency = perf_counter() - started
            data: dict[str, Any] = {"status": status}
            if response.history:
                data["redirects"] = [str(r.url) for r in response.history]
                data["url"] = str(response.url)
            host = response.url.host or ""
            if host in batch.resolved:
                data["addresses"] = batch.resolved[host]
            if not _status_ok(status, expected):
                shown = expected if expected is not None else "200-399"
                return _result(
                    FAILURE, "http_status", latency, {"status": status, "expected": shown}, data
                )
            charset = response.charset
    except aiohttp.ClientConnectorCertificateError as exc:
        error = exc.certificate_error
        reason = getattr(error, "verify_message", None) or str(error)
        return _result(FAILURE, "cert_invalid", perf_counter() - started, {"reason": reason})
    except aiohttp.ClientConnectorSSLError as exc:
        return _result(
            FAILURE, "tls_failed", perf_counter() - started, {"reason": _os_reason(exc.os_error)}
        )
    except aiohttp.ClientConnectorError as exc:
        return _http_connect_failure(exc, perf_counter() - started)
    except aiohttp.TooManyRedirects:
        return _result(FAILURE, "too_many_redirects", params={"max": MAX_REDIRECTS})
    except aiohttp.RedirectClientError as exc:
        return _result(FAILURE, "bad_redirect", params={"location": str(exc)})
    except aiohttp.ServerTimeoutError:
        return _timeout(spec, perf_counter() - started)
    except aiohttp.ClientError as exc:
        reason = str(exc) or type(exc).__name__
        return _result(FAILURE, "http_error", perf_counter() - started, {"reason": reason})
    if keyword and not _contains(body, keyword, charset):
        return _result(FAILURE, "keyword_missing", latency, {"keyword": keyword}, data)
    if absent and _contains(body, absent, charset):
        return _result(FAILURE, "keyword_found", latency, {"keyword": absent}, data)
    return _result(SUCCESS, "http_ok", latency, {"status": status}, data)


def _http_connect_failure(exc: aiohttp.ClientConnectorError, latency: float) -> ProbeResult:
    cause = exc.os_error
    if isinstance(cause, AddressRefused):
        return _refused(cause.ip, cause.rule, cause.host or exc.host)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return _result(FAILURE, "host_unresolved", latency, {"host": exc.host})
    if isinstance(cause, ConnectionRefusedError):
        params = {"address": exc.host, "port": exc.port}
        return _result(FAILURE, "connection_refused", latency, params)
    return _result(FAILURE, "connection_failed", latency, {"reason": _os_reason(cause)})


# --- tls --------------------------------------------------------------------------------------


async def _handshake(ip: IPAddress, port: int, context: ssl.SSLContext, server_name: str) -> bytes:
    loop = asyncio.get_running_loop()
    transport, _protocol = await loop.create_connection(
        asyncio.Protocol, str(ip), port, ssl=context, server_hostname=server_name
    )
    try:
        return transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
    finally:
        transport.abort()


def certificate_details(der: bytes) -> dict:
    """What is worth keeping of a certificate, parsed without trusting it."""
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "sans": names,
        "serial": format(cert.serial_number, "x"),
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
    }


async def _probe_tls(batch: _Batch, spec: ProbeSpec, config: dict) -> ProbeResult:
    host, port = config["host"], config.get("port", 443)
    ip, refused = await _checked_address(batch, host, port)
    if refused:
        return refused
    server_name = config.get("server_name") or host
    verify = config.get("verify", True)
    started = perf_counter()
    verify_error = None
    try:
        try:
            der = await _handshake(ip, port, _tls_context(verify), server_name)
        except ssl.SSLCertVerificationError as exc:
            verify_error = exc.verify_message or str(exc)
            # Again without verification, only to read what the server presents.
            der = await _handshake(ip, port, _tls_context(False), server_name)
    except ssl.SSLError as exc:
        reason = exc.reason or str(exc)
        return _result(FAILURE, "tls_failed", perf_counter() - started, {"reason": reason})
    except OSError as exc:
        return _connect_failure(exc, ip, port, perf_counter() - started)
    latency = perf_counter() - started
    try:
        data = certificate_details(der)
    except ValueError as exc:
        return _result(FAILURE, "tls_failed", latency, {"reason": str(exc)})
    return _judge_certificate(data, config, verify_error, latency, str(ip))


def _judge_certificate(
    data: dict, config: dict, verify_error: str | None, latency: float, address: str
) -> ProbeResult:
    now = dt.datetime.now(dt.UTC)
    not_after = dt.datetime.fromisoformat(data["not_after"])
    not_before = dt.datetime.fromisoformat(data["not_before"])
    days_left = math.floor((not_after - now).total_seconds() / 86400)
    data |= {"days_left": days_left, "address": address, "verified": verify_error is None}
    if verify_error:
        data["verify_error"] = verify_error
    dates = {"not_after": not_after.date().isoformat(), "days_left": days_left}
    if not_after <= now:
        return _result(FAILURE, "cert_expired", latency, dates, data)
    if not_before > now:
        params = {"not_before": not_before.date().isoformat()}
        return _result(FAILURE, "cert_not_yet_valid", latency, params, data)
    if verify_error:
        return _result(FAILURE, "cert_invalid", latency, {"reason": verify_error}, data)
    if days_left < config.get("critical_days", 7):
        return _result(FAILURE, "cert_expiring", latency, dates, data)
    if days_left < config.get("warning_days", 21):
        return _result(DEGRADED, "cert_expiring", latency, dates, data)
    return _result(SUCCESS, "tls_ok", latency, dates, data)


# --- tcp --------------------------------------------------------------------------------------


async def _probe_tcp(batch: _Batch, spec: ProbeSpec, config: dict) -> ProbeResult:
    host, port = config["host"], config["port"]
    ip, refused = await _checked_address(batch, host, port)
    if refused:
        return refused
    loop = asyncio.get_running_loop()
    started = perf_counter()
    try:
        transport, _protocol = await loop.create_connection(asyncio.Protocol, str(ip), port)
    except OSError as exc:
        return _connect_failure(exc, ip, port, perf_counter() - started)
    latency = perf_counter() - started
    transport.close()
    return _result(SUCCESS, "tcp_ok", latency, {"port": port}, {"address": str(ip), "port": port})


# --- dns --------------------------------------------------------------------------------------


def _answer_text(rdata: Any, rdtype: str) -> str:
    if rdtype == "TXT":
        return b"".join(rdata.strings).decode("utf-8", "replace")
    return rdata.to_text()


def _normalised(rdtype: str, value: str) -> set[str]:
    """The forms under which an answer (or an expected value) compares."""
    value = " ".join(value.split())
    if rdtype in ("A", "AAAA"):
        try:
            return {str(ipaddress.ip_address(value))}
        except ValueError:
            return {value}
    if rdtype == "TXT":
        return {value.strip('"')}
    value = value.lower().rstrip(".")
    if rdtype == "MX" and " " in value:
        return {value, value.split(" ", 1)[1]}
    return {value}


async def _probe_dns(batch: _Batch, spec: ProbeSpec, config: dict) -> ProbeResult:
    name, rdtype = config["name"], config.get("record_type", "A")
    data: dict[str, Any] = {"name": name, "record_type": rdtype}
    if config.get("resolver"):
        ip, port = parse_resolver(config["resolver"])
        rule = batch.policy.rule(ip)
        if rule is not None:
            return _refused(netguard.effective_ip(ip), rule)
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(str(ip), port)]
        data["resolver"] = f"{ip}:{port}" if ip.version == 4 else f"[{ip}]:{port}"
    else:
        try:
            resolver = batch.system_resolver()
        except dns.resolver.NoResolverConfiguration as exc:
            return _result(ERROR, "dns_server_failed", params={"name": name, "reason": str(exc)})
    params = {"name": name, "record_type": rdtype}
    started = perf_counter()
    try:
        answer = await resolver.resolve(name, rdtype, lifetime=spec.timeout, search=False)
    except dns.resolver.NXDOMAIN:
        return _result(FAILURE, "dns_nxdomain", perf_counter() - started, params, data)
    except dns.resolver.NoAnswer:
        return _result(FAILURE, "dns_no_answer", perf_counter() - started, params, data)
    except dns.exception.Timeout:
        return _timeout(spec, perf_counter() - started)
    except dns.exception.DNSException as exc:
        params["reason"] = str(exc)
        return _result(FAILURE, "dns_server_failed", perf_counter() - started, params, data)
    latency = perf_counter() - started
    answers = [_answer_text(r, rdtype) for r in answer]
    data |= {"answers": answers, "ttl": answer.rrset.ttl if answer.rrset else None}
    params["answers"] = answers
    expected = config.get("expected")
    if expected:
        found = set().union(*(_normalised(rdtype, a) for a in answers))
        missing = [e for e in expected if not _normalised(rdtype, e) & found]
        if missing:
            params["expected"] = expected
            return _result(FAILURE, "dns_mismatch", latency, params, data)
    return _result(SUCCESS, "dns_ok", latency, params, data)


# --- ping -------------------------------------------------------------------------------------

_ICMP = {
    4: (socket.AF_INET, socket.IPPROTO_ICMP, 8, 0),
    6: (socket.AF_INET6, socket.IPPROTO_ICMPV6, 128, 129),
}


def _icmp_socket(version: int) -> tuple[socket.socket | None, bool]:
    """An ICMP socket and whether it is raw; (None, False) when neither kind is permitted."""
    family, proto = _ICMP[version][:2]
    for kind in (socket.SOCK_DGRAM, socket.SOCK_RAW):
        try:
            return socket.socket(family, kind, proto), kind == socket.SOCK_RAW
        except PermissionError:
            continue
    return None, False


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _echo_request(version: int, ident: int, payload: bytes) -> bytes:
    kind = _ICMP[version][2]
    header = struct.pack("!BBHHH", kind, 0, 0, ident, 1)
    if version == 6:  # the kernel fills in the ICMPv6 checksum
        return header + payload
    return struct.pack("!BBHHH", kind, 0, _checksum(header + payload), ident, 1) + payload


async def _probe_ping(batch: _Batch, spec: ProbeSpec, config: dict) -> ProbeResult:
    host = config["host"]
    ip, refused = await _checked_address(batch, host, 0)
    if refused:
        return refused
    sock, raw = _icmp_socket(ip.version)
    if sock is None:
        return _result(ERROR, "icmp_not_permitted", data={"address": str(ip)})
    loop = asyncio.get_running_loop()
    reply_type = _ICMP[ip.version][3]
    payload = os.urandom(8) + b"msp-portal-ping"
    with sock:
        sock.setblocking(False)
        started = perf_counter()
        packet = _echo_request(ip.version, random.getrandbits(16), payload)
        try:
            await loop.sock_sendto(sock, packet, (str(ip), 0))
            while True:
                reply = await loop.sock_recv(sock, 4096)
                if raw and ip.version == 4:  # raw IPv4 sockets hand over the IP header too
                    reply = reply[(reply[0] & 0x0F) * 4 :]
                # Others' echoes reach a raw socket as well: ours carries our random payload.
                if len(reply) >= 8 and reply[0] == reply_type and reply[8:] == payload:
                    break
        except OSError as exc:  # no route, network unreachable...
            return _connect_failure(exc, ip, 0, perf_counter() - started)
    latency = perf_counter() - started
    data = {"address": str(ip), "socket": "raw" if raw else "dgram"}
    return _result(SUCCESS, "ping_ok", latency, {"address": str(ip)}, data)


# --- heartbeat --------------------------------------------------------------------------------


async def _probe_heartbeat(batch: _Batch, spec: ProbeSpec, config: dict) -> ProbeResult:
    return _result(FAILURE, "heartbeat_missed")


Probe = Callable[[_Batch, ProbeSpec, dict], Coroutine[Any, Any, ProbeResult]]
PROBES: dict[str, Probe] = {
    "http": _probe_http,
    "tls": _probe_tls,
    "tcp": _probe_tcp,
    "dns": _probe_dns,
    "ping": _probe_ping,
    "heartbeat": _probe_heartbeat,
}
