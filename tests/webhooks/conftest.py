"""A real HTTP receiver on 127.0.0.1 that checks signatures the way the docs tell receivers to."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from msp_portal.webhooks.models import Webhook

REPLAY_WINDOW = 300


def verify(secret: str, header: str, body: bytes) -> bool:
    """The recipe of msp_portal/webhooks/signing.py, written as a receiver would: stdlib only."""
    pairs = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp = pairs.get("t", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > REPLAY_WINDOW:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), pairs.get("v1", ""))


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    verified: bool

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    secret: str = ""
    statuses: list[int] = field(default_factory=list)  # answers to give, then 200s
    requests: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            header = self.headers.get("X-MSP-Signature", "")
            state.requests.append(
                Received(self.path, dict(self.headers), body, verify(state.secret, header, body))
            )
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"receiver says no " * 200)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/msp"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _private_targets(settings):
    """The receiver lives on loopback, which production refuses by default."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def make_hook(receiver, admin_user):
    def make(*, events=("ticket.opened",), client=None, url=None, **extra) -> Webhook:
        hook = Webhook(
            name=extra.pop("name", "Receiver"),
            url=url or receiver.url,
            events=list(events),
            client=client,
            created_by=admin_user,
            **extra,
        )
        hook.full_clean()
        hook.save()
        receiver.secret = hook.secret
        return hook

    return make


@pytest.fixture
def loopback_only(monkeypatch):
    """Fail the test if anything tries to connect anywhere but loopback, even if the code under
    test were wrong: nothing may leave the machine."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_create = socket.create_connection

    def allowed(host) -> bool:
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return host == "localhost"

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not allowed(address[0]):
            attempts.append(str(address[0]))
            pytest.fail(f"connection attempted to {address[0]}")
        return real_connect(sock, address)

    def guarded_create(address, *args, **kwargs):
        if not allowed(address[0]):
            attempts.append(str(address[0]))
            pytest.fail(f"connection attempted to {address[0]}")
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", guarded_create)
    return attempts
