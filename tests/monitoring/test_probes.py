"""The probes against real servers on loopback: what each kind reports, and what it refuses."""

from __future__ import annotations

import socket
import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from monitoring import probes
from monitoring.messages import describe
from monitoring.probes import ProbeResult, ProbeSpec, run_probes_sync, validate_config
from msp_portal.core.netguard import AddressPolicy
from tests.monitoring.targets import DEFAULT_KEYWORD, HttpTarget


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def probe(kind: str, config: dict, *, timeout: float = 3.0, degraded: int | None = None, **kw):
    return run_probes_sync([ProbeSpec(1, kind, config, timeout, degraded)], **kw)[0]


def ok_or_explain(result: ProbeResult) -> str:
    return f"{result.outcome} {result.code}: {result.message} {result.data}"


# --- http -------------------------------------------------------------------------------------


def test_a_page_that_answers_200_is_a_success(http_target):
    result = probe("http", {"url": http_target.url})

    assert (result.outcome, result.code) == ("success", "http_ok"), ok_or_explain(result)
    assert result.data["status"] == 200
    assert result.latency_ms > 0
    assert result.message == "HTTP 200."
    assert http_target.requests == 1


def test_a_500_is_a_failure_that_names_the_status(http_target):
    http_target.mode = "error"

    result = probe("http", {"url": http_target.url})

    assert (result.outcome, result.code) == ("failure", "http_status")
    assert result.params == {"status": 500, "expected": "200-399"}
    assert result.data["status"] == 500
    assert "500" in result.message


def test_an_expected_status_list_replaces_the_default(http_target):
    http_target.mode = "error"

    assert probe("http", {"url": http_target.url, "expected_status": [500]}).outcome == "success"
    http_target.mode = "ok"
    result = probe("http", {"url": http_target.url, "expected_status": [204]})
    assert (result.outcome, result.code) == ("failure", "http_status")


def test_an_answer_slower_than_the_threshold_is_degraded(make_http_target):
    target = make_http_target("slow", delay=0.3)

    result = probe("http", {"url": target.url}, degraded=100)

    assert (result.outcome, result.code) == ("degraded", "slow_response")
    assert result.latency_ms >= 300
    assert result.params["threshold_ms"] == 100
    assert result.data["status"] == 200


def test_a_fast_answer_under_the_threshold_stays_a_success(http_target):
    assert probe("http", {"url": http_target.url}, degraded=2000).outcome == "success"


def test_a_server_that_never_answers_fails_when_the_timeout_expires(make_http_target):
    target = make_http_target("hang")

    started = time.perf_counter()
    result = probe("http", {"url": target.url}, timeout=0.5)
    elapsed = time.perf_counter() - started

    assert (result.outcome, result.code) == ("failure", "timeout")
    assert result.params == {"seconds": 0.5}
    assert 0.45 <= elapsed < 1.0
    assert target.requests == 1


def test_the_keyword_must_appear_in_the_page(http_target):
    found = probe("http", {"url": http_target.url, "keyword": "systems operational"})
    missing = probe("http", {"url": http_target.url, "keyword": "Maintenance"})

    assert found.outcome == "success"
    assert (missing.outcome, missing.code) == ("failure", "keyword_missing")
    assert missing.params == {"keyword": "Maintenance"}
    assert missing.data["status"] == 200


def test_a_forbidden_keyword_in_the_page_is_a_failure(http_target):
    result = probe("http", {"url": http_target.url, "keyword_absent": DEFAULT_KEYWORD})

    assert (result.outcome, result.code) == ("failure", "keyword_found")
    assert probe("http", {"url": http_target.url, "keyword_absent": "Fatal"}).outcome == "success"


def test_a_redirect_is_followed_to_the_final_page(make_http_target):
    final = make_http_target()
    first = make_http_target("redirect", location=final.url_for("/landing"))

    result = probe("http", {"url": first.url, "keyword": DEFAULT_KEYWORD})

    assert result.outcome == "success", ok_or_explain(result)
    assert result.data["redirects"] == [first.url]
    assert result.data["url"] == final.url_for("/landing")
    assert final.seen == ["/landing"]


def test_a_redirect_is_not_followed_when_asked_not_to(make_http_target):
    final = make_http_target()
    first = make_http_target("redirect", location=final.url)

    accepted = probe("http", {"url": first.url, "follow_redirects": False})
    strict = probe("http", {"url": first.url, "follow_redirects": False, "expected_status": [200]})

    assert (accepted.outcome, accepted.data["status"]) == ("success", 302)
    assert (strict.outcome, strict.code, strict.params["status"]) == ("failure", "http_status", 302)
    assert final.requests == 0


def test_endless_redirects_stop_after_five(make_http_target):
    target = make_http_target("loop")

    result = probe("http", {"url": target.url})

    assert (result.outcome, result.code) == ("failure", "too_many_redirects")
    assert target.requests == probes.MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    "location", ["http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/"]
)
def test_a_redirect_to_the_metadata_address_is_refused_before_any_packet(
    make_http_target, loopback_only, location
):
    first = make_http_target("redirect", location=location)

    result = probe("http", {"url": first.url})

    assert (result.outcome, result.code) == ("error", "refused_address")
    assert result.params["ip"] == "169.254.169.254"
    assert result.params["rule"] == "metadata"
    assert "MONITORING_ALLOWED_NETWORKS" in result.message
    assert first.requests == 1
    assert loopback_only == []


def test_a_redirect_to_a_name_that_resolves_to_a_private_address_is_refused(
    make_http_target, loopback_only, monkeypatch
):
    real = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host == "intranet.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    first = make_http_target("redirect", location="http://intranet.example.test/admin")

    result = probe("http", {"url": first.url})

    assert (result.outcome, result.code) == ("error", "refused_address")
    assert result.params == {"ip": "10.1.2.3", "rule": "private", "host": "intranet.example.test"}
    assert loopback_only == []


def test_loopback_is_refused_when_it_is_not_an_allowed_network(http_target, settings):
    settings.MONITORING_ALLOWED_NETWORKS = []

    result = probe("http", {"url": http_target.url})

    assert (result.outcome, result.code) == ("error", "refused_address")
    assert result.params["ip"] == "127.0.0.1"
    assert http_target.requests == 0


def test_a_closed_port_is_a_refused_connection(closed_tcp_port):
    result = probe("http", {"url": f"http://127.0.0.1:{closed_tcp_port}/"})

    assert (result.outcome, result.code) == ("failure", "connection_refused")
    assert result.params["port"] == closed_tcp_port


def test_an_unknown_host_name_is_a_failure(monkeypatch):
    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)

    result = probe("http", {"url": "http://nowhere.example.test/"})

    assert (result.outcome, result.code) == ("failure", "host_unresolved")
    assert result.params == {"host": "nowhere.example.test"}


def test_https_with_an_untrusted_certificate_fails_unless_verification_is_off(make_tls_target):
    tls = make_tls_target(90)
    with HttpTarget(ssl_context=tls.context()) as site:
        untrusted = probe("http", {"url": site.url})
        unverified = probe("http", {"url": site.url, "verify_tls": False})

    assert (untrusted.outcome, untrusted.code) == ("failure", "cert_invalid")
    assert "self" in untrusted.params["reason"]
    assert unverified.outcome == "success", ok_or_explain(unverified)


# --- tls --------------------------------------------------------------------------------------


def tls_probe(target, **config) -> ProbeResult:
    return probe("tls", {"host": "127.0.0.1", "port": target.port, **config})


def test_a_certificate_far_from_expiry_is_a_success(tls_target):
    result = tls_probe(tls_target, verify=False)

    assert (result.outcome, result.code) == ("success", "tls_ok")
    assert result.data["not_after"] == tls_target.not_after.isoformat()
    assert result.data["days_left"] in (89, 90)
    assert result.data["subject"] == "CN=localhost"
    assert result.data["sans"] == ["localhost", "127.0.0.1"]


def test_a_certificate_near_expiry_is_degraded(make_tls_target):
    target = make_tls_target(10)

    result = tls_probe(target, verify=False)

    assert (result.outcome, result.code) == ("degraded", "cert_expiring")
    assert result.params["days_left"] == 9
    assert result.data["not_after"] == target.not_after.isoformat()


def test_a_certificate_under_the_critical_days_is_a_failure(make_tls_target):
    target = make_tls_target(10)

    result = tls_probe(target, verify=False, warning_days=30, critical_days=14)

    assert (result.outcome, result.code) == ("failure", "cert_expiring")


def test_an_expired_certificate_is_a_failure_with_its_dates(make_tls_target):
    target = make_tls_target(-2)

    result = tls_probe(target)

    assert (result.outcome, result.code) == ("failure", "cert_expired")
    assert result.data["days_left"] < 0
    assert result.data["not_after"] == target.not_after.isoformat()
    assert result.data["verified"] is False


def test_a_self_signed_certificate_fails_verification_but_its_dates_are_recorded(tls_target):
    result = tls_probe(tls_target)

    assert (result.outcome, result.code) == ("failure", "cert_invalid")
    assert "self-signed" in result.params["reason"] or "self signed" in result.params["reason"]
    assert result.data["verified"] is False
    assert result.data["not_after"] == tls_target.not_after.isoformat()
    assert result.data["issuer"] == "CN=localhost"


def test_a_certificate_from_a_trusted_ca_verifies(make_tls_target, monkeypatch):
    target = make_tls_target(60, ca=True)
    unverified = probes._tls_context(False)
    monkeypatch.setattr(
        probes, "_tls_context", lambda verify: target.client_context() if verify else unverified
    )

    named = tls_probe(target, server_name="localhost")
    wrong_name = tls_probe(target, server_name="www.example.test")

    assert (named.outcome, named.code) == ("success", "tls_ok"), ok_or_explain(named)
    assert named.data["verified"] is True
    assert named.data["issuer"] == "CN=Test CA"
    assert (wrong_name.outcome, wrong_name.code) == ("failure", "cert_invalid")
    assert "mismatch" in wrong_name.params["reason"].lower()


def test_a_tls_check_of_a_closed_port_is_a_refused_connection(closed_tcp_port):
    result = probe("tls", {"host": "127.0.0.1", "port": closed_tcp_port})

    assert (result.outcome, result.code) == ("failure", "connection_refused")


# --- tcp --------------------------------------------------------------------------------------


def test_an_open_port_is_a_success(tcp_target):
    result = probe("tcp", {"host": "localhost", "port": tcp_target.port})

    assert (result.outcome, result.code) == ("success", "tcp_ok")
    assert result.data == {"address": "127.0.0.1", "port": tcp_target.port}


def test_a_closed_port_is_a_failure(closed_tcp_port):
    result = probe("tcp", {"host": "127.0.0.1", "port": closed_tcp_port})

    assert (result.outcome, result.code) == ("failure", "connection_refused")
    assert result.params == {"address": "127.0.0.1", "port": closed_tcp_port}


@pytest.mark.parametrize(
    ("host", "ip", "rule"),
    [
        ("10.0.0.1", "10.0.0.1", "private"),
        ("169.254.169.254", "169.254.169.254", "metadata"),
        ("::ffff:10.0.0.1", "10.0.0.1", "private"),
        ("0.0.0.0", "0.0.0.0", "not_host"),
    ],
)
def test_a_tcp_check_of_a_forbidden_address_sends_nothing(loopback_only, host, ip, rule):
    result = probe("tcp", {"host": host, "port": 22})

    assert (result.outcome, result.code) == ("error", "refused_address")
    assert (result.params["ip"], result.params["rule"]) == (ip, rule)
    assert loopback_only == []


# --- dns --------------------------------------------------------------------------------------


def dns_probe(target, *, timeout: float = 3.0, **config) -> ProbeResult:
    return probe("dns", {"resolver": target.address, **config}, timeout=timeout)


def test_a_record_with_the_expected_addresses_is_a_success(dns_target):
    result = dns_probe(dns_target, name="www.example.test", expected=["192.0.2.11", "192.0.2.10"])

    assert (result.outcome, result.code) == ("success", "dns_ok"), ok_or_explain(result)
    assert sorted(result.data["answers"]) == ["192.0.2.10", "192.0.2.11"]
    assert result.data["ttl"] == 300
    assert dns_target.queries == [("www.example.test.", "A")]


def test_a_missing_expected_address_is_a_mismatch(dns_target):
    result = dns_probe(dns_target, name="www.example.test", expected=["192.0.2.10", "192.0.2.99"])

    assert (result.outcome, result.code) == ("failure", "dns_mismatch")
    assert result.params["expected"] == ["192.0.2.10", "192.0.2.99"]
    assert sorted(result.data["answers"]) == ["192.0.2.10", "192.0.2.11"]


@pytest.mark.parametrize(
    ("record_type", "name", "expected"),
    [
        ("AAAA", "www.example.test", "2001:DB8:0::10"),
        ("MX", "example.test", "mail.example.test"),
        ("MX", "example.test", "20 BACKUP.example.test."),
        ("TXT", "example.test", "v=spf1 -all"),
        ("NS", "example.test", "ns1.example.test"),
        ("CNAME", "alias.example.test", "www.example.test."),
    ],
)
def test_each_record_type_compares_the_way_people_write_it(dns_target, record_type, name, expected):
    result = dns_probe(dns_target, name=name, record_type=record_type, expected=expected)

    assert (result.outcome, result.code) == ("success", "dns_ok"), ok_or_explain(result)


def test_a_name_that_does_not_exist_is_nxdomain(dns_target):
    result = dns_probe(dns_target, name="nope.example.test")

    assert (result.outcome, result.code) == ("failure", "dns_nxdomain")
    assert result.params["name"] == "nope.example.test"


def test_a_name_without_that_record_type_has_no_answer(dns_target):
    result = dns_probe(dns_target, name="www.example.test", record_type="TXT")

    assert (result.outcome, result.code) == ("failure", "dns_no_answer")


def test_a_silent_dns_server_times_out(dns_target):
    dns_target.silent = True

    result = dns_probe(dns_target, name="www.example.test", timeout=0.5)

    assert (result.outcome, result.code) == ("failure", "timeout")


def test_a_resolver_at_a_forbidden_address_is_not_asked(loopback_only):
    result = probe("dns", {"name": "www.example.test", "resolver": "10.0.0.53"})

    assert (result.outcome, result.code) == ("error", "refused_address")
    assert loopback_only == []


# --- ping -------------------------------------------------------------------------------------


def refuse_icmp(monkeypatch, kinds: tuple[int, ...]) -> None:
    """Make creating ICMP sockets of these kinds fail as a kernel without permission would."""
    real = socket.socket

    def factory(family=-1, type=-1, proto=-1, fileno=None):
        icmp = proto in (socket.IPPROTO_ICMP, socket.IPPROTO_ICMPV6)
        if icmp and type in kinds:
            raise PermissionError(1, "Operation not permitted")
        return real(family, type, proto, fileno)

    monkeypatch.setattr(socket, "socket", factory)


def raw_icmp_allowed() -> bool:
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
    except PermissionError:
        return False
    return True


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_ping_of_loopback_gets_a_reply(host):
    result = probe("ping", {"host": host})

    if result.code == "icmp_not_permitted":
        pytest.skip("this machine permits neither unprivileged nor raw ICMP sockets")
    assert (result.outcome, result.code) == ("success", "ping_ok"), ok_or_explain(result)
    assert result.data["address"] == host
    assert result.latency_ms < 1000


@pytest.mark.skipif(not raw_icmp_allowed(), reason="raw ICMP sockets need root or CAP_NET_RAW")
def test_ping_falls_back_to_a_raw_socket_when_unprivileged_icmp_is_not_permitted(monkeypatch):
    refuse_icmp(monkeypatch, (socket.SOCK_DGRAM,))

    result = probe("ping", {"host": "127.0.0.1"})

    assert (result.outcome, result.data["socket"]) == ("success", "raw")


def test_ping_without_permission_is_an_error_that_says_how_to_allow_it(monkeypatch):
    refuse_icmp(monkeypatch, (socket.SOCK_DGRAM, socket.SOCK_RAW))

    result = probe("ping", {"host": "127.0.0.1"})

    assert (result.outcome, result.code) == ("error", "icmp_not_permitted")
    assert "net.ipv4.ping_group_range" in result.message


def test_ping_of_a_forbidden_address_sends_nothing(loopback_only):
    result = probe("ping", {"host": "192.168.1.1"})

    assert (result.outcome, result.code) == ("error", "refused_address")
    assert loopback_only == []


# --- heartbeat, batches, crashes ----------------------------------------------------------------


def test_a_heartbeat_handed_to_the_probes_was_missed():
    result = probe("heartbeat", {})

    assert (result.outcome, result.code, result.latency_ms) == ("failure", "heartbeat_missed", None)


def test_a_batch_of_300_mixed_checks_answers_each_in_order(
    make_http_target, tcp_target, closed_tcp_port, dns_target
):
    up, down = make_http_target(), make_http_target("error")
    kinds = [
        (ProbeSpec(0, "http", {"url": up.url}, 3), "http_ok"),
        (ProbeSpec(0, "http", {"url": down.url}, 3), "http_status"),
        (ProbeSpec(0, "tcp", {"host": "127.0.0.1", "port": tcp_target.port}, 3), "tcp_ok"),
        (
            ProbeSpec(0, "tcp", {"host": "127.0.0.1", "port": closed_tcp_port}, 3),
            "connection_refused",
        ),
        (
            ProbeSpec(0, "dns", {"name": "www.example.test", "resolver": dns_target.address}, 3),
            "dns_ok",
        ),
        (ProbeSpec(0, "heartbeat", {}, 3), "heartbeat_missed"),
    ]
    specs, expected = [], []
    for i in range(300):
        spec, code = kinds[i % len(kinds)]
        specs.append(ProbeSpec(i, spec.kind, spec.config, spec.timeout))
        expected.append(code)

    results = run_probes_sync(specs, concurrency=50)

    assert [r.code for r in results] == expected
    assert up.requests == down.requests == 50


def test_concurrency_bounds_the_probes_in_flight(make_http_target):
    target = make_http_target("slow", delay=0.2)
    specs = [ProbeSpec(i, "http", {"url": target.url}, 3) for i in range(6)]

    started = time.perf_counter()
    results = run_probes_sync(specs, concurrency=2)

    assert time.perf_counter() - started >= 0.55  # three waves of two
    assert {r.outcome for r in results} == {"success"}


def test_a_probe_that_crashes_becomes_an_error_without_harming_the_batch(
    monkeypatch, http_target, caplog
):
    async def broken(batch, spec, config):
        raise RuntimeError("bug")

    monkeypatch.setitem(probes.PROBES, "tcp", broken)
    specs = [
        ProbeSpec(1, "tcp", {"host": "127.0.0.1", "port": 1}, 3),
        ProbeSpec(2, "http", {"url": http_target.url}, 3),
    ]

    crashed, fine = run_probes_sync(specs)

    assert (crashed.outcome, crashed.code, crashed.params) == (
        "error",
        "probe_crashed",
        {"error": "RuntimeError"},
    )
    assert fine.outcome == "success"
    assert "check 1" in caplog.text


def test_settings_that_do_not_validate_are_an_error_not_a_crash():
    result = probe("http", {"url": "ftp://example.test/"})
    unknown = probe("smtp", {})

    assert (result.outcome, result.code) == ("error", "invalid_config")
    assert "http://" in result.params["reason"]
    assert (unknown.outcome, unknown.code) == ("error", "unknown_kind")


def test_an_explicit_policy_overrides_the_settings(http_target):
    result = probe("http", {"url": http_target.url}, policy=AddressPolicy())

    assert result.code == "refused_address"
    assert http_target.requests == 0


# --- messages ---------------------------------------------------------------------------------


def test_messages_render_from_code_and_params_and_never_raise():
    assert describe("http_status", {"status": 503, "expected": [200, 204]}) == (
        "HTTP status 503, expected 200, 204."
    )
    assert describe("http_status", {}) == "HTTP status ?, expected ?."
    assert describe("no_such_code", {"x": 1}) == "The check ended with code no_such_code."
    assert "10.0.0.1" in describe("refused_address", {"ip": "10.0.0.1", "rule": "private"})
    assert describe("heartbeat_fail", {}) == "The job reported a failure."
    assert describe("heartbeat_fail", {"detail": "exit 2"}) == "The job reported a failure: exit 2"


# --- validate_config ----------------------------------------------------------------------------


def errors_of(kind: str, config: dict, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        validate_config(kind, config, **kwargs)
    return raised.value.message_dict["config"]


def test_valid_settings_are_cleaned(http_target, tcp_target):
    assert validate_config(
        "http", {"url": http_target.url, "method": "head", "expected_status": 200}
    ) == {"url": http_target.url, "method": "HEAD", "expected_status": [200]}
    assert validate_config("tcp", {"host": "0x7f.1", "port": tcp_target.port}) == {
        "host": "127.0.0.1",
        "port": tcp_target.port,
    }
    assert validate_config("dns", {"name": "example.test", "record_type": "mx"}) == {
        "name": "example.test",
        "record_type": "MX",
    }
    assert validate_config("heartbeat", {}) == {}


@pytest.mark.parametrize(
    ("kind", "config", "fragment"),
    [
        ("http", {}, 'Give the "url" setting'),
        ("http", {"url": "ftp://example.com/"}, "http:// or https://"),
        ("http", {"url": "file:///etc/passwd"}, "http:// or https://"),
        ("http", {"url": "http://example.com:99999/"}, "port"),
        ("http", {"url": "http:///path"}, "no host name"),
        ("http", {"url": "https://example.com/", "method": "DELETE"}, "GET, HEAD or POST"),
        ("http", {"url": "https://example.com/", "expected_status": [99]}, "100 to 599"),
        ("http", {"url": "https://example.com/", "verify_tls": "no"}, "true or false"),
        ("http", {"url": "https://example.com/", "method": "HEAD", "keyword": "x"}, "use GET"),
        ("http", {"url": "https://example.com/", "keywrod": "x"}, 'Unknown setting "keywrod"'),
        ("http", {"url": "http://2130706433/"}, "write 127.0.0.1"),
        ("tcp", {"host": "example.com"}, 'Give the "port" setting'),
        ("tcp", {"host": "example.com", "port": 0}, "from 1 to 65535"),
        ("tcp", {"host": "example.com", "port": "22"}, "from 1 to 65535"),
        ("tcp", {"host": "not a host", "port": 22}, "host name or an IP address"),
        ("tls", {"port": 443}, 'Give the "host" setting'),
        ("tls", {"host": "example.com", "warning_days": 3, "critical_days": 7}, "not be more"),
        ("dns", {"name": "example.com", "record_type": "SOA"}, "A, AAAA, CNAME, MX, TXT, NS"),
        ("dns", {"name": "example.com", "resolver": "dns.google"}, "must be an IP address"),
        ("dns", {"name": "example.com", "expected": [1]}, "a list of texts"),
        ("ping", {}, 'Give the "host" setting'),
        ("heartbeat", {"url": "http://x/"}, 'Unknown setting "url"'),
    ],
)
def test_invalid_settings_get_a_message_a_person_can_act_on(kind, config, fragment):
    messages = errors_of(kind, config, resolve=False)

    assert any(fragment in m for m in messages), messages


def test_settings_must_be_an_object_and_the_kind_known():
    with pytest.raises(ValidationError) as not_object:
        validate_config("http", ["http://example.com/"])
    with pytest.raises(ValidationError) as unknown:
        validate_config("smtp", {})

    assert "JSON object" in not_object.value.message_dict["config"][0]
    assert "smtp" in unknown.value.message_dict["kind"][0]


@pytest.mark.parametrize(
    ("kind", "config", "ip"),
    [
        ("http", {"url": "http://169.254.169.254/latest/meta-data/"}, "169.254.169.254"),
        ("http", {"url": "http://[::ffff:169.254.169.254]/"}, "169.254.169.254"),
        ("http", {"url": "http://0x0a.1/"}, "10.0.0.1"),
        ("tcp", {"host": "017700000001", "port": 22}, "127.0.0.1"),
        ("tls", {"host": "10.20.30.40"}, "10.20.30.40"),
        ("ping", {"host": "[fd00:ec2::254]"}, "fd00:ec2::254"),
        ("dns", {"name": "example.com", "resolver": "192.168.1.1:5353"}, "192.168.1.1"),
    ],
)
def test_a_forbidden_address_is_refused_naming_it_and_the_setting(
    settings, loopback_only, kind, config, ip
):
    settings.MONITORING_ALLOWED_NETWORKS = []

    messages = errors_of(kind, config)

    assert any(ip in m and "MONITORING_ALLOWED_NETWORKS" in m for m in messages), messages
    assert loopback_only == []


def test_a_name_is_judged_by_the_addresses_it_resolves_to(monkeypatch, loopback_only):
    real = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host == "intranet.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)

    messages = errors_of("http", {"url": "https://intranet.example.test/"})

    assert messages[0].startswith("intranet.example.test resolves to 10.1.2.3.")


def test_a_host_that_does_not_resolve_is_refused(monkeypatch):
    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)

    assert errors_of("tcp", {"host": "nowhere.example.test", "port": 22}) == [
        "The host name nowhere.example.test cannot be resolved."
    ]


def test_loopback_passes_when_it_is_an_allowed_network(http_target):
    assert validate_config("http", {"url": http_target.url}) == {"url": http_target.url}
