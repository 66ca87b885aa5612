"""What a probe's result says, in the reader's language.

A probe returns a machine code and JSON parameters (``monitoring.probes.ProbeResult``); the
sentence is rendered from them when shown, so a French technician reads French about a check
that a worker ran in English. Every code a probe can return has an entry here.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _

from msp_portal.core import netguard

CATALOGUE = {
    # success
    "ok": _("OK."),
    "http_ok": _("HTTP %(status)s."),
    "tcp_ok": _("Port %(port)s is open."),
    "tls_ok": _("The certificate is valid for %(days_left)s more days (until %(not_after)s)."),
    "dns_ok": _("%(record_type)s %(name)s: %(answers)s."),
    "ping_ok": _("Reply from %(address)s."),
    # degraded
    "slow_response": _("Answered in %(latency_ms)s ms, over the %(threshold_ms)s ms threshold."),
    # failures shared by the kinds
    "timeout": _("No answer within %(seconds)s s."),
    "host_unresolved": _("The host name %(host)s cannot be resolved."),
    "connection_refused": _("Connection refused by %(address)s on port %(port)s."),
    "connection_failed": _("Cannot connect: %(reason)s"),
    "refused_address": _(
        "Checks may not connect to %(ip)s (%(rule_text)s). An administrator can allow its "
        "range with the MONITORING_ALLOWED_NETWORKS setting."
    ),
    # http
    "http_status": _("HTTP status %(status)s, expected %(expected)s."),
    "keyword_missing": _('The page does not contain "%(keyword)s".'),
    "keyword_found": _('The page contains "%(keyword)s", which must not appear.'),
    "too_many_redirects": _("More than %(max)s redirects."),
    "bad_redirect": _("The site redirects to an address that cannot be checked: %(location)s"),
    "http_error": _("Invalid HTTP response: %(reason)s"),
    # tls
    "tls_failed": _("The TLS handshake failed: %(reason)s"),
    "cert_invalid": _("The certificate is not trusted: %(reason)s"),
    "cert_expired": _("The certificate expired on %(not_after)s."),
    "cert_not_yet_valid": _("The certificate is not valid before %(not_before)s."),
    "cert_expiring": _("The certificate expires in %(days_left)s days (%(not_after)s)."),
    # dns
    "dns_nxdomain": _("%(name)s does not exist (NXDOMAIN)."),
    "dns_no_answer": _("%(name)s has no %(record_type)s record."),
    "dns_mismatch": _("%(record_type)s %(name)s answered %(answers)s, expected %(expected)s."),
    "dns_server_failed": _("No DNS server answered for %(name)s: %(reason)s"),
    # ping
    "icmp_not_permitted": _(
        "This server may not send pings: add the worker's group to the range of the sysctl "
        'net.ipv4.ping_group_range (e.g. "0 2147483647"), or give it CAP_NET_RAW.'
    ),
    # heartbeat (the pings are recorded by the engine; "detail" is what the job sent)
    "heartbeat_missed": _("No heartbeat arrived in time."),
    "heartbeat_ok": _("Heartbeat received."),
    "heartbeat_fail": _("The job reported a failure."),
    # could not run
    "invalid_config": _("The check's settings are invalid: %(reason)s"),
    "unknown_kind": _("Unknown kind of check: %(kind)s."),
    "probe_crashed": _("The check could not run (%(error)s); the error was logged."),
}

#: The sentence when the parameters carry a "detail" (free text from the monitored job).
WITH_DETAIL = {
    "heartbeat_ok": _("Heartbeat received: %(detail)s"),
    "heartbeat_fail": _("The job reported a failure: %(detail)s"),
}

GENERIC = _("The check ended with code %(code)s.")

_RULES = {
    netguard.NOT_HOST: _("not a host address"),
    netguard.METADATA: _("a link-local or cloud metadata address"),
    netguard.PRIVATE: _("a private, loopback or reserved address"),
}


class _Params(dict):
    """Format parameters that never raise: a missing one shows as a question mark."""

    def __missing__(self, key: str) -> str:
        return "?"


def _display(value: object) -> object:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    return value


def describe(code: str, params: Mapping | None = None) -> str:
    """The sentence for a result code and its parameters, in the active language."""
    values = _Params({k: _display(v) for k, v in (params or {}).items()})
    template = WITH_DETAIL.get(code) if values.get("detail") else None
    template = template or CATALOGUE.get(code)
    if template is None:
        values["code"] = code
        return str(GENERIC) % values
    if code == "refused_address":
        values["rule_text"] = str(_RULES.get(values.get("rule", ""), _RULES[netguard.PRIVATE]))
    return str(template) % values
