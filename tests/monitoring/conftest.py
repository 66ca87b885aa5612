"""Real targets on 127.0.0.1 for the monitoring tests, each stopped at the end of its test."""

from __future__ import annotations

import pytest

from tests.monitoring.targets import (
    DnsTarget,
    HttpTarget,
    TcpTarget,
    TlsTarget,
    closed_port,
    loopback_guard,
)

DNS_RECORDS = {
    ("www.example.test.", "A"): ["192.0.2.10", "192.0.2.11"],
    ("www.example.test.", "AAAA"): ["2001:db8::10"],
    ("example.test.", "MX"): ["10 mail.example.test.", "20 backup.example.test."],
    ("example.test.", "TXT"): ['"v=spf1 -all"'],
    ("example.test.", "NS"): ["ns1.example.test."],
    ("alias.example.test.", "CNAME"): ["www.example.test."],
}


@pytest.fixture
def make_http_target():
    """Start HTTP targets: ``make_http_target(mode="ok", keyword=..., delay=..., location=...)``."""
    started: list[HttpTarget] = []

    def make(*args, **kwargs) -> HttpTarget:
        target = HttpTarget(*args, **kwargs).start()
        started.append(target)
        return target

    yield make
    for target in started:
        target.stop()


@pytest.fixture
def http_target(make_http_target) -> HttpTarget:
    return make_http_target()


@pytest.fixture
def make_tls_target():
    """Start TLS targets: ``make_tls_target(expires_in_days, ca=False)``."""
    started: list[TlsTarget] = []

    def make(*args, **kwargs) -> TlsTarget:
        target = TlsTarget(*args, **kwargs).start()
        started.append(target)
        return target

    yield make
    for target in started:
        target.stop()


@pytest.fixture
def tls_target(make_tls_target) -> TlsTarget:
    return make_tls_target(90)


@pytest.fixture
def tcp_target():
    with TcpTarget() as target:
        yield target


@pytest.fixture
def closed_tcp_port() -> int:
    return closed_port()


@pytest.fixture
def dns_target():
    with DnsTarget(DNS_RECORDS) as target:
        yield target


@pytest.fixture
def loopback_only(monkeypatch) -> list[str]:
    """Any connection or datagram to an address off loopback fails the test."""
    return loopback_guard(monkeypatch)
