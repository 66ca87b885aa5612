"""SSRF: the cloud metadata address and its disguises, typed where the portal fetches URLs.

The monitoring check form (every kind that names a target) and the webhook URL (model
validation and the admin) refuse 169.254.169.254 however it is spelt, the other clouds'
metadata endpoints, and names that do not resolve (no network here: a failed lookup must be a
refusal on the form, never a crash). The socket layer is guarded throughout: any connect or
datagram to an address off loopback fails the test, so a bug cannot send a packet out.
"""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from monitoring.models import Check
from monitoring.probes import ProbeSpec, run_probes_sync
from msp_portal.webhooks.models import Webhook
from tests.monitoring.targets import loopback_guard

pytestmark = pytest.mark.django_db

#: Hosts that reach a metadata endpoint, in every spelling a resolver accepts.
METADATA_HOSTS = [
    "169.254.169.254",
    "169.254.169.254.",
    "2852039166",  # decimal
    "0xA9FEA9FE",  # hexadecimal
    "0xa9.0xfe.0xa9.0xfe",
    "0251.0376.0251.0376",  # octal
    "169.254.43518",  # a.b.c with a 16-bit last part
    "169.16689662",  # a.b with a 24-bit last part
    "[::ffff:169.254.169.254]",
    "[::ffff:a9fe:a9fe]",
    "[64:ff9b::a9fe:a9fe]",  # NAT64
    "[2002:a9fe:a9fe::1]",  # 6to4
    "[fd00:ec2::254]",  # AWS over IPv6
    "[fe80::a9fe:a9fe]",
    "100.100.100.200",  # Alibaba
    "192.0.0.192",  # Oracle
    "168.63.129.16",  # Azure wire server
]
#: Names: in production they resolve to a metadata address; here they do not resolve at all.
METADATA_NAMES = [
    "169.254.169.254.nip.io",
    "metadata.google.internal",
    "instance-data.ec2.internal",
    "metadata",
]
#: Other places a fetch must not go: this host, the LAN, "any address".
OTHER_HOSTS = ["0.0.0.0", "0", "[::]", "10.0.0.1", "192.168.1.1", "172.16.0.1", "100.64.0.1"]

URLS = [
    *(f"http://{host}/latest/meta-data/" for host in METADATA_HOSTS + METADATA_NAMES),
    *(f"http://{host}/" for host in OTHER_HOSTS),
    "HTTP://169.254.169.254/",
    " http://169.254.169.254/ ",
    "http://169.254.169.254:80/",
    "http://evil.test@169.254.169.254/",
    "http://169.254.169.254#@127.0.0.1/",
    "https://[::ffff:169.254.169.254]:443/",
    "file:///etc/passwd",
    "gopher://169.254.169.254:80/_GET",
    "dict://169.254.169.254:11211/stat",
    "ftp://169.254.169.254/",
    "javascript:alert(1)",
]

COMMON = {
    "interval_seconds": "60",
    "retry_interval_seconds": "30",
    "timeout_seconds": "10",
    "failure_threshold": "3",
    "recovery_threshold": "2",
}


@pytest.fixture
def guarded(monkeypatch) -> list[str]:
    """The loopback guard, plus ``create_connection`` and a resolver that knows no names but
    localhost: there is no network here, and a lookup must not wait on one."""
    attempts = loopback_guard(monkeypatch)
    real_getaddrinfo, real_create = socket.getaddrinfo, socket.create_connection

    def offline_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if name in ("localhost", "127.0.0.1", "::1") or _literal(name):
            return real_getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def guarded_create(address, *args, **kwargs):
        host = address[0]
        if host not in ("localhost", "127.0.0.1", "::1"):
            attempts.append(str(host))
            pytest.fail(f"create_connection attempted to {host}")
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", offline_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", guarded_create)
    return attempts


def _literal(name: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in name else socket.AF_INET, name.split("%")[0])
    except OSError:
        try:
            socket.inet_aton(name)
        except OSError:
            return False
    return True


def create_url(client_obj, kind: str) -> str:
    return f"{reverse('monitoring:check_create')}?client={client_obj.pk}&kind={kind}"


def assert_refused_on_the_form(response, field: str) -> None:
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors.get(field), form.errors
    assert not Check.objects.exists()


# -- the monitoring check form ------------------------------------------------------------------


@pytest.mark.parametrize("url", URLS)
def test_the_http_check_form_refuses_the_metadata_address_however_it_is_spelt(
    client, tech, acme, guarded, url
):
    client.force_login(tech)

    response = client.post(
        create_url(acme, "http"), {**COMMON, "name": "Sneaky", "url": url, "method": "GET"}
    )

    assert_refused_on_the_form(response, "url")
    assert guarded == []


@pytest.mark.parametrize("kind", ["tcp", "tls", "ping"])
@pytest.mark.parametrize("host", METADATA_HOSTS + METADATA_NAMES + OTHER_HOSTS)
def test_the_host_checks_refuse_the_metadata_address_however_it_is_spelt(
    client, tech, acme, guarded, kind, host
):
    client.force_login(tech)
    post = {**COMMON, "name": "Sneaky", "host": host, "port": "80"}

    response = client.post(create_url(acme, kind), post)

    assert_refused_on_the_form(response, "host")
    assert guarded == []


@pytest.mark.parametrize(
    "resolver",
    ["169.254.169.254", "169.254.169.254:53", "2852039166", "[fd00:ec2::254]:53", "10.0.0.53",
     "[::ffff:169.254.169.254]:53", "100.100.100.200"],
)  # fmt: skip
def test_the_dns_check_refuses_a_metadata_resolver(client, tech, acme, guarded, resolver):
    client.force_login(tech)
    post = {**COMMON, "name": "Sneaky", "dns_name": "example.com", "record_type": "A",
            "resolver": resolver}  # fmt: skip

    response = client.post(create_url(acme, "dns"), post)

    errors = response.context["form"].errors
    assert response.status_code == 200
    # The target's refusal goes next to the name looked up; a malformed server to its own field.
    assert errors.get("resolver") or errors.get("dns_name"), errors
    assert not Check.objects.exists()
    assert guarded == []


def test_an_edit_cannot_point_a_check_at_the_metadata_address(client, tech, acme, guarded):
    check = Check.objects.create(
        client=acme, name="Web", kind=Check.Kind.HTTP, config={"url": "http://127.0.0.1:9/"}
    )
    client.force_login(tech)

    response = client.post(
        reverse("monitoring:check_edit", args=[check.pk]),
        {**COMMON, "name": "Web", "url": "http://0xA9FEA9FE/", "method": "GET"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors.get("url")
    check.refresh_from_db()
    assert check.config == {"url": "http://127.0.0.1:9/"}
    assert guarded == []


def test_a_name_that_resolves_to_the_metadata_address_is_refused(
    client, tech, acme, guarded, monkeypatch
):
    """The address the name resolves to is judged, not the name."""
    offline = socket.getaddrinfo

    def dns(host, *args, **kwargs):
        if host == "status.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 80))]
        return offline(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    client.force_login(tech)

    response = client.post(
        create_url(acme, "http"),
        {**COMMON, "name": "Sneaky", "url": "http://status.example.test/", "method": "GET"},
    )

    assert_refused_on_the_form(response, "url")
    assert "169.254.169.254" in str(response.context["form"].errors["url"])
    assert guarded == []


# -- webhooks -----------------------------------------------------------------------------------


WEBHOOK_URLS = [u for u in URLS if not u.startswith("javascript:")] + [
    "https://169.254.169.254/hook",
    "https://[::ffff:169.254.169.254]/hook",
]


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        *(f"https://{host}/hook" for host in METADATA_HOSTS + METADATA_NAMES),
        "http://evil.test@169.254.169.254/",
        "file:///etc/passwd",
        "gopher://169.254.169.254:80/_GET",
    ],
)
def test_a_webhook_url_at_the_metadata_address_is_refused(settings, guarded, allow_private, url):
    """Metadata stays refused even where an MSP allows LAN receivers."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = allow_private

    with pytest.raises(ValidationError) as refused:
        Webhook(name="Sneaky", url=url, events=["ticket.opened"]).full_clean()

    assert "url" in refused.value.message_dict
    assert guarded == []


@pytest.mark.parametrize("url", WEBHOOK_URLS)
def test_a_webhook_url_off_the_public_internet_is_refused_in_production(settings, guarded, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    with pytest.raises(ValidationError) as refused:
        Webhook(name="Sneaky", url=url, events=["ticket.opened"]).full_clean()

    assert "url" in refused.value.message_dict
    assert guarded == []


@pytest.mark.parametrize(
    "url",
    ["http://2852039166/", "http://0xA9FEA9FE/", "http://[::ffff:169.254.169.254]/",
     "http://169.254.169.254.nip.io/", "http://metadata.google.internal/",
     "http://[fd00:ec2::254]/", "http://100.100.100.200/"],
)  # fmt: skip
def test_the_webhook_admin_refuses_the_disguises(client, admin_user, settings, guarded, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:webhooks_webhook_add"),
        {"name": "Steal credentials", "url": url, "events": ["ticket.opened"]},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("url")
    assert not Webhook.objects.exists()
    assert guarded == []


# -- at connect time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "config"),
    [
        *(("http", {"url": f"http://{host}/latest/meta-data/"}) for host in METADATA_HOSTS),
        *(("tcp", {"host": host, "port": 80}) for host in METADATA_HOSTS),
        *(("tls", {"host": host}) for host in METADATA_HOSTS[:6]),
        ("http", {"url": "http://169.254.169.254\\@127.0.0.1/"}),  # parsers disagree: refuse
        ("http", {"url": "http://metadata.google.internal/computeMetadata/v1/"}),
        ("dns", {"name": "example.com", "resolver": "169.254.169.254"}),
    ],
)
def test_a_check_saved_behind_the_validation_sends_no_packet(guarded, kind, config):
    """A row from an older version or the shell: the probe judges the address again before it
    connects, and fails with a reason rather than reaching the metadata service."""
    [result] = run_probes_sync([ProbeSpec(1, kind, config, 2)])

    assert result.outcome != "success"
    assert guarded == []
