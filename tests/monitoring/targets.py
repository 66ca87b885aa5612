"""Real servers on 127.0.0.1 for the probes to watch: HTTP, TLS, TCP and DNS.

Each runs in a background thread (the asyncio ones on their own event loop), listens on a free
port, and is a context manager; what it answers can be changed while it runs
(``target.mode = "error"``). The benchmark (bench/probe_clients.py) starts an HttpTarget in a
separate process with ``python -m tests.monitoring.targets http``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import sys
import tempfile
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HTTP_MODES = ("ok", "error", "slow", "hang", "redirect", "loop")
DEFAULT_KEYWORD = "All systems operational"


class _LoopThread:
    """An event loop running in a daemon thread."""

    def __init__(self, name: str):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        async def cancel_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.call(cancel_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class _Server:
    """Start/stop plumbing shared by the targets."""

    port: int = 0

    def start(self):
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- HTTP -------------------------------------------------------------------------------------


class HttpTarget(_Server):
    """An HTTP server whose answer follows ``mode``:

    ``ok`` 200 with a page containing ``keyword``; ``error`` 500; ``slow`` the ok page after
    ``delay`` seconds; ``hang`` accepts the request and never answers; ``redirect`` 302 to
    ``location``; ``loop`` 302 to itself forever. ``paths`` maps a path to its own mode.
    ``requests`` counts the requests received, ``seen`` lists their paths.
    """

    def __init__(
        self,
        mode: str = "ok",
        *,
        keyword: str = DEFAULT_KEYWORD,
        delay: float = 1.0,
        location: str = "",
        ssl_context: ssl.SSLContext | None = None,
        host: str = "127.0.0.1",
    ):
        self.mode, self.keyword, self.delay, self.location = mode, keyword, delay, location
        self.paths: dict[str, str] = {}
        self.requests = 0
        self.seen: list[str] = []
        self.host = host
        self._ssl = ssl_context
        self._loop: _LoopThread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl else "http"
        return f"{scheme}://{self.host}:{self.port}/"

    def url_for(self, path: str) -> str:
        return self.url + path.lstrip("/")

    def page(self) -> str:
        return f"<html><body><h1>Status</h1><p>{self.keyword}</p></body></html>"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        self.seen.append(request.path)
        mode = self.paths.get(request.path, self.mode)
        if mode == "error":
            return web.Response(status=500, text="Internal server error")
        if mode == "slow":
            await asyncio.sleep(self.delay)
        elif mode == "hang":
            await asyncio.Event().wait()
        elif mode == "redirect":
            return web.Response(status=302, headers={"Location": self.location})
        elif mode == "loop":
            return web.Response(status=302, headers={"Location": str(request.rel_url)})
        elif mode != "ok":
            raise ValueError(f"unknown mode {mode!r}")
        return web.Response(text=self.page(), content_type="text/html")

    async def _start(self) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=0.2, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0, ssl_context=self._ssl)
        await site.start()
        return self._runner.addresses[0][1]

    def start(self) -> HttpTarget:
        self._loop = _LoopThread("http-target")
        self.port = self._loop.call(self._start())
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        if self._runner is not None:
            self._loop.call(self._runner.cleanup())
        self._loop.close()
        self._loop = None


# --- TLS --------------------------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificate(
    *,
    expires_in_days: float,
    valid_since_days: float = 30,
    common_name: str = "localhost",
    names: tuple[str, ...] = ("localhost", "127.0.0.1"),
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
    ca: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate valid from ``valid_since_days`` ago until ``expires_in_days`` from now
    (negative: already expired), self-signed or signed by ``issuer``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    sans: list[x509.GeneralName] = []
    for value in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(value)))
        except ValueError:
            sans.append(x509.DNSName(value))
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer_cert.subject if issuer_cert else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=valid_since_days))
        .not_valid_after(now + dt.timedelta(days=expires_in_days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def server_context(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> ssl.SSLContext:
    """A server-side TLS context for this certificate (load_cert_chain wants files)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_file.write_text(pem(cert))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context.load_cert_chain(cert_file, key_file)
    return context


class TlsTarget(_Server):
    """A TLS server presenting a certificate that expires in ``expires_in_days`` (negative:
    expired), self-signed, or signed by a fresh CA with ``ca=True`` (``ca_pem`` to trust it).
    ``handshakes`` counts the connections accepted."""

    def __init__(
        self,
        expires_in_days: float = 90,
        *,
        ca: bool = False,
        names: tuple[str, ...] = ("localhost", "127.0.0.1"),
    ):
        issuer = None
        self.ca_pem = ""
        if ca:
            issuer = make_certificate(expires_in_days=3650, common_name="Test CA", ca=True)
            self.ca_pem = pem(issuer[0])
        self.cert, self._key = make_certificate(
            expires_in_days=expires_in_days, names=names, issuer=issuer
        )
        self.not_after = self.cert.not_valid_after_utc
        self.handshakes = 0
        self._loop: _LoopThread | None = None
        self._server: asyncio.Server | None = None

    def context(self) -> ssl.SSLContext:
        return server_context(self.cert, self._key)

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this target's CA."""
        context = ssl.create_default_context(cadata=self.ca_pem or pem(self.cert))
        return context

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.handshakes += 1
        try:
            await reader.read(1)
        except (OSError, ssl.SSLError):
            pass
        finally:
            writer.transport.abort()

    async def _start(self) -> int:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", 0, ssl=self.context(), ssl_handshake_timeout=5
        )
        return self._server.sockets[0].getsockname()[1]

    def start(self) -> TlsTarget:
        self._loop = _LoopThread("tls-target")
        self.port = self._loop.call(self._start())
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def shut() -> None:
            self._server.close()

        self._loop.call(shut())
        self._loop.close()
        self._loop = None


# --- TCP --------------------------------------------------------------------------------------


class TcpTarget(_Server):
    """A listener that accepts connections and closes them; ``connections`` counts them."""

    def __init__(self) -> None:
        self.connections = 0
        self._sock: socket.socket | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _addr = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def start(self) -> TcpTarget:
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="tcp-target", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread:
            self._thread.join(2)
        if self._sock:
            self._sock.close()


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- DNS --------------------------------------------------------------------------------------


class DnsTarget(_Server):
    """An authoritative UDP DNS server answering from ``records``:
    ``{("www.example.test.", "A"): ["192.0.2.10"]}``. A known name without that type gets an
    empty answer, an unknown one NXDOMAIN; with ``silent`` it answers nothing at all.
    ``queries`` lists the (name, type) asked."""

    def __init__(self, records: dict[tuple[str, str], list[str]], *, ttl: int = 300):
        self.records = {
            (name.lower().rstrip(".") + ".", rtype.upper()): values
            for (name, rtype), values in records.items()
        }
        self.ttl = ttl
        self.silent = False
        self.queries: list[tuple[str, str]] = []
        self._loop: _LoopThread | None = None
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def answer(self, wire: bytes) -> bytes | None:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        for question in query.question:
            name = question.name.to_text().lower()
            rtype = dns.rdatatype.to_text(question.rdtype)
            self.queries.append((name, rtype))
            values = self.records.get((name, rtype))
            if values:
                response.answer.append(
                    dns.rrset.from_text_list(question.name, self.ttl, "IN", rtype, values)
                )
            elif not any(known == name for known, _type in self.records):
                response.set_rcode(dns.rcode.NXDOMAIN)
        return None if self.silent else response.to_wire()

    def start(self) -> DnsTarget:
        target = self

        class Protocol(asyncio.DatagramProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                self.transport = transport

            def datagram_received(self, data: bytes, addr: tuple) -> None:
                reply = target.answer(data)
                if reply is not None:
                    self.transport.sendto(reply, addr)

        async def bind() -> int:
            loop = asyncio.get_running_loop()
            self._transport, _protocol = await loop.create_datagram_endpoint(
                Protocol, local_addr=("127.0.0.1", 0)
            )
            return self._transport.get_extra_info("sockname")[1]

        self._loop = _LoopThread("dns-target")
        self.port = self._loop.call(bind())
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def shut() -> None:
            self._transport.close()

        self._loop.call(shut())
        self._loop.close()
        self._loop = None


# --- a guard for tests ------------------------------------------------------------------------


def loopback_guard(monkeypatch: Any) -> list[str]:
    """Fail the test if anything connects or sends anywhere but loopback, even if the code under
    test were wrong; returns the list of the addresses attempted."""
    import pytest

    attempts: list[str] = []

    def allowed(host: object) -> bool:
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return host == "localhost"

    def guard(name: str):
        real = getattr(socket.socket, name)

        def guarded(sock: socket.socket, *args: Any) -> Any:
            address = args[-1]
            inet = sock.family in (socket.AF_INET, socket.AF_INET6)
            if inet and isinstance(address, tuple) and not allowed(address[0]):
                attempts.append(str(address[0]))
                pytest.fail(f"{name} attempted to {address[0]}")
            return real(sock, *args)

        monkeypatch.setattr(socket.socket, name, guarded)

    for name in ("connect", "connect_ex", "sendto"):
        guard(name)
    return attempts


if __name__ == "__main__":
    # python -m tests.monitoring.targets http: serve "ok" until stdin closes; prints the port.
    if sys.argv[1:] != ["http"]:
        sys.exit("usage: python -m tests.monitoring.targets http")
    with HttpTarget() as served:
        print(served.port, flush=True)
        sys.stdin.read()
