"""The address policy shared by webhooks and monitoring: what the portal may connect to."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest
from django.utils import translation

from msp_portal.core import netguard
from msp_portal.core.netguard import AddressPolicy, literal_ip, resolve, resolve_async
from msp_portal.webhooks import targets

ip = ipaddress.ip_address


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        # public
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::808:808", None),
        # never a host
        ("0.0.0.0", "not_host"),
        ("::", "not_host"),
        ("224.0.0.1", "not_host"),
        ("ff02::1", "not_host"),
        # link-local and cloud metadata
        ("169.254.169.254", "metadata"),
        ("169.254.1.1", "metadata"),
        ("fe80::1", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("192.0.0.192", "metadata"),
        ("168.63.129.16", "metadata"),
        # the same, spelt in IPv6
        ("::ffff:169.254.169.254", "metadata"),
        ("2002:a9fe:a9fe::1", "metadata"),
        ("64:ff9b::a9fe:a9fe", "metadata"),
        # private, loopback, shared, reserved
        ("127.0.0.1", "private"),
        ("127.1.2.3", "private"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("198.18.0.1", "private"),
        ("192.0.2.1", "private"),
        ("240.0.0.1", "private"),
        ("::1", "private"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:0a00:0001::1", "private"),
    ],
)
def test_each_address_falls_under_its_rule(address, rule):
    assert AddressPolicy().rule(ip(address)) == rule
    assert AddressPolicy().rule(address) == rule  # a string is accepted too


def test_refusals_are_sentences_naming_the_address_really_reached():
    policy = AddressPolicy()

    assert policy.refusal(ip("8.8.8.8")) is None
    assert policy.refusal(ip("::ffff:169.254.169.254")) == (
        "169.254.169.254 is a link-local or cloud metadata address."
    )
    assert policy.refusal(ip("10.0.0.1")) == "10.0.0.1 is a private, loopback or reserved address."
    assert policy.refusal(ip("0.0.0.0")) == "0.0.0.0 is not a host address."


def test_refusals_reuse_the_translated_webhook_sentences():
    with translation.override("fr"):
        assert "lien-local" in AddressPolicy().refusal(ip("169.254.169.254"))


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "::1", "100.64.0.1", "fc00::1"])
def test_allow_private_opens_private_ranges(address):
    assert AddressPolicy(allow_private=True).refusal(ip(address)) is None


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "0.0.0.0"]
)
def test_allow_private_leaves_metadata_and_non_hosts_refused(address):
    assert AddressPolicy(allow_private=True).refusal(ip(address)) is not None


def test_an_allowed_network_opens_that_network_only():
    policy = AddressPolicy(["10.0.0.0/8", "::1/128"])

    assert policy.rule(ip("10.1.2.3")) is None
    assert policy.rule(ip("::ffff:10.1.2.3")) is None
    assert policy.rule(ip("::1")) is None
    assert policy.rule(ip("192.168.1.1")) == "private"
    assert policy.rule(ip("127.0.0.1")) == "private"


def test_metadata_opens_only_to_an_allowed_network_inside_its_range():
    apipa = AddressPolicy(["169.254.0.0/16"])
    everything = AddressPolicy(["0.0.0.0/0", "::/0"])

    assert apipa.rule(ip("169.254.10.20")) is None
    assert everything.rule(ip("169.254.169.254")) == "metadata"
    assert everything.rule(ip("fd00:ec2::254")) == "metadata"
    assert everything.rule(ip("0.0.0.0")) == "not_host"
    assert everything.rule(ip("10.0.0.1")) is None


def test_the_monitoring_policy_follows_the_setting(settings):
    settings.MONITORING_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert netguard.monitoring_policy().rule(ip("10.9.9.9")) is None
    assert netguard.monitoring_policy().rule(ip("127.0.0.1")) == "private"

    settings.MONITORING_ALLOWED_NETWORKS = []
    assert netguard.monitoring_policy().rule(ip("10.9.9.9")) == "private"


def test_the_webhook_policy_keeps_metadata_refused_when_private_targets_are_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert netguard.webhook_policy().rule(ip("10.0.0.1")) is None
    assert netguard.webhook_policy().rule(ip("169.254.169.254")) == "metadata"

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert netguard.webhook_policy().rule(ip("10.0.0.1")) == "private"


def test_the_webhook_module_keeps_its_interface():
    assert ip("169.254.169.254") in targets.ALWAYS_REFUSED[0]
    assert targets.refusal(ip("169.254.169.254"), allow_private=True)
    assert targets.refusal(ip("10.0.0.1"), allow_private=True) is None
    assert targets.refusal(ip("10.0.0.1"), allow_private=False)
    assert targets.resolve is netguard.resolve


# --- numeric spellings and resolution ----------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("[::ffff:169.254.169.254]", "::ffff:169.254.169.254"),
    ],
)
def test_numeric_spellings_are_the_address_they_stand_for(host, address):
    assert literal_ip(host) == ip(address)
    assert resolve(host, 80) == [ip(address)]


def test_a_spelt_metadata_address_is_refused_as_metadata():
    assert AddressPolicy(allow_private=True).rule(resolve("0xa9fea9fe", 80)[0]) == "metadata"
    assert AddressPolicy().rule(resolve("[::ffff:169.254.169.254]", 80)[0]) == "metadata"


@pytest.mark.parametrize("host", ["www.example.test", "cafe", "1.2.3.4.5", "deadbeef.1", ""])
def test_names_are_not_literal_addresses(host):
    assert literal_ip(host) is None


def test_resolve_drops_duplicates_and_scope_ids(monkeypatch):
    def fake_dns(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", port)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1%eth0", port, 0, 2)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)

    assert resolve("multi.example.test", 443) == [ip("192.0.2.1"), ip("fe80::1")]
    assert asyncio.run(resolve_async("multi.example.test", 443)) == [
        ip("192.0.2.1"),
        ip("fe80::1"),
    ]


def test_resolve_async_takes_literals_without_asking_the_resolver(monkeypatch):
    def no_dns(*args, **kwargs):
        raise AssertionError("getaddrinfo called for a literal address")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)

    assert asyncio.run(resolve_async("0x7f.1", 80)) == [ip("127.0.0.1")]
    assert asyncio.run(resolve_async("[::1]", 80)) == [ip("::1")]


def test_resolve_finds_loopback_for_localhost():
    assert ip("127.0.0.1") in resolve("localhost", 80)
