"""Reading raw messages: charsets, HTML, attachments, forwards and trimming, from fixtures."""

from __future__ import annotations

import pytest

from tickets.mailin.parse import UnparseableMail, mail_parse
from tickets.mailin.text import html_sanitise, html_to_text, text_trim
from tickets.mailrefs import REPLY_MARKER

from .conftest import eml


def test_a_plain_message_keeps_what_the_sender_wrote_without_the_signature():
    parsed = mail_parse(eml("plain.eml"))

    assert parsed.sender == "anna@acme.test"
    assert parsed.subject == "Printer offline on the 2nd floor"
    assert parsed.body.endswith("Thanks,\nAnna")
    assert "+33" not in parsed.body
    assert parsed.recipient_addresses == [
        "support@msp.example",
        "bob@acme.test",
        "someone@elsewhere.test",
    ]


def test_an_html_only_message_becomes_text_without_scripts_or_handlers():
    parsed = mail_parse(eml("html_xss.eml"))

    assert "My screen flickers since Monday." in parsed.body
    assert "- Model: Dell U2720Q\n- Cable: USB-C" in parsed.body
    assert "status <https://status.acme.test/>" in parsed.body
    for payload in ("alert", "<script", "<img", "onerror", "javascript:", "color:red", "<p>"):
        assert payload not in parsed.body
    assert "old history" not in parsed.body


def test_sanitised_html_keeps_structure_and_drops_every_active_part():
    cleaned = html_sanitise(
        '<p onclick="x()">Hi <img src=x onerror=alert(1)><script>alert(2)</script>'
        '<a href="javascript:alert(3)">a</a><a href="https://ok.test/">b</a>'
        "<style>p{}</style><iframe src=//evil></iframe></p>"
    )

    assert cleaned.startswith("<p>Hi ")
    for payload in ("onclick", "onerror", "<img", "<script", "alert", "javascript", "iframe"):
        assert payload not in cleaned
    assert 'href="https://ok.test/"' in cleaned


def test_multipart_alternative_prefers_the_text_part_and_lists_the_attachments():
    parsed = mail_parse(eml("multipart_attachments.eml"))

    assert parsed.body == "Please find the scan and the logs attached."
    assert [(f.name, f.content_type) for f in parsed.files] == [
        ("scan.pdf", "application/pdf"),
        ("server.log", "text/plain"),
        ("setup.exe", "application/octet-stream"),
    ]
    assert parsed.files[0].data.startswith(b"%PDF-1.4")


def test_latin1_headers_and_body_are_decoded_and_the_french_quote_is_trimmed():
    parsed = mail_parse(eml("latin1.eml"))

    assert parsed.subject == "Imprimante du 2ème étage"
    assert parsed.sender_name == "Renée Léger"
    assert parsed.body == "Bonjour,\n\nL'imprimante du 2ème étage ne répond plus. Merci d'avance !"


def test_windows_1252_encoded_words_and_quoted_printable_body_are_decoded():
    parsed = mail_parse(eml("cp1252.eml"))

    assert parsed.subject == "“Devis” à 100 €"
    assert parsed.body == "Le devis “licences” coûte 100 €, c\u2019est validé."
    assert not parsed.forwarded


def test_an_unknown_charset_falls_back_to_replacement_characters():
    parsed = mail_parse(eml("broken_charset.eml"))

    assert parsed.body.startswith("Caf")
    assert "machine is" in parsed.body
    assert "\ufffd" in parsed.body


def test_8bit_headers_without_encoded_words_are_read():
    raw = "From: Zoë <zoe@acme.test>\nSubject: Réseau coupé\n\nCorps\n".encode("latin-1")

    parsed = mail_parse(raw)

    assert parsed.subject == "Réseau coupé"
    assert parsed.sender == "zoe@acme.test"


def test_a_forward_is_kept_whole_and_names_the_original_sender():
    parsed = mail_parse(eml("forwarded.eml"))

    assert parsed.forwarded
    assert parsed.forwarded_sender == "anna@acme.test"
    assert 'the VPN says "authentication failed"' in parsed.body
    assert parsed.body.startswith("Opening a ticket for Anna.")


def test_garbage_is_unparseable():
    with pytest.raises(UnparseableMail):
        mail_parse(eml("garbage.eml"))


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"Fixed, thanks\n\n{REPLY_MARKER}\nTicket T-1 was updated", "Fixed, thanks"),
        ("Yes\n\nOn Mon, 1 Jun 2026 at 10:00, Support <s@x.test> wrote:\n> old", "Yes"),
        ("Yes\n\nOn Mon, 1 Jun 2026 at 10:00, Support\n<s@x.test> wrote:\n> old", "Yes"),
        ("Oui\n\nLe lun. 1 juin 2026 à 10:00, Support a écrit :\n> vieux", "Oui"),
        ("Ok\n-----Original Message-----\nFrom: x", "Ok"),
        ("Ok\n\nDe : Support\nEnvoyé : lundi\nÀ : Anna\nObjet : x", "Ok"),
        ("Ok\n\nFrom: Support <s@x.test>\nSent: Monday\nTo: Anna", "Ok"),
        ("Ok\n> quoted\n> more\n", "Ok"),
        ("Ok\n-- \nAnna\nPhone", "Ok"),
        ("> only a quote", "> only a quote"),
    ],
)
def test_quoted_history_is_trimmed(text, kept):
    assert text_trim(text) == kept


def test_html_quotes_are_dropped_only_when_asked():
    html = '<p>New</p><blockquote type="cite"><p>Old</p></blockquote>'

    assert html_to_text(html) == "New"
    assert html_to_text(html, drop_quotes=False) == "New\n\nOld"
