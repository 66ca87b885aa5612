"""Bodies made safe and short: HTML sanitised with nh3, turned into text, quoted history cut.

Tickets store plain text, shown autoescaped; HTML from mail is never shown as HTML. It is first
sanitised with an allowlist (so no later change can render a script from it) and then converted
to text, keeping paragraphs, line breaks, list items and link targets.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import nh3

from ..mailrefs import REPLY_MARKER

#: What survives sanitising: structure and links, no scripts, styles, images or event handlers.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "li", "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr",
    "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "blockquote": {"type"}, "div": {"class"}}
URL_SCHEMES = {"http", "https", "mailto"}


def html_sanitise(html: str) -> str:
    """The HTML with everything outside the allowlist removed (scripts with their content)."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "head", "title", "template", "noscript"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_BLOCKS = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre", "table",
    "ul", "ol", "blockquote",
}  # fmt: skip
# Quoted history in HTML replies: Gmail, Thunderbird/Apple (<blockquote type="cite">), Outlook.
_QUOTE_CLASSES = {"gmail_quote", "moz-cite-prefix", "yahoo_quoted", "gmail_extra"}


class _TextWriter(HTMLParser):
    def __init__(self, *, drop_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.drop_quotes = drop_quotes
        self.skip_depth = 0  # >0 while inside a quoted block being dropped
        self.stack: list[bool] = []
        self.href: str | None = None

    def _is_quote(self, tag: str, attrs: dict) -> bool:
        if not self.drop_quotes:
            return False
        classes = set((attrs.get("class") or "").split())
        return (tag == "blockquote" and attrs.get("type") == "cite") or bool(
            classes & _QUOTE_CLASSES
        )

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag in ("br", "hr"):
            if not self.skip_depth:
                self.parts.append("\n")
            return
        quote = self._is_quote(tag, attrs)
        self.stack.append(quote)
        if quote:
            self.skip_depth += 1
        if self.skip_depth:
            return
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self.href = attrs.get("href")

    def handle_endtag(self, tag) -> None:
        if tag in ("br", "hr"):
            return
        quote = self.stack.pop() if self.stack else False
        if quote:
            self.skip_depth -= 1
            return
        if self.skip_depth:
            return
        if tag == "a" and self.href:
            text = "".join(self.parts[-1:])
            if self.href.startswith(("http", "mailto")) and self.href not in text:
                self.parts.append(f" <{self.href.removeprefix('mailto:')}>")
            self.href = None
        if tag in _BLOCKS and tag != "li":
            self.parts.append("\n")
        if tag in ("td", "th"):
            self.parts.append(" ")

    def handle_data(self, data) -> None:
        if not self.skip_depth:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str, *, drop_quotes: bool = True) -> str:
    """Readable text from (sanitised) HTML; quoted history blocks dropped unless asked not to."""
    writer = _TextWriter(drop_quotes=drop_quotes)
    writer.feed(html_sanitise(html))
    writer.close()
    lines = [line.strip() for line in unescape("".join(writer.parts)).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# Lines where quoted history starts: everything from there on is history.
_HISTORY_STARTS = [
    re.compile(r"^\s*" + re.escape(REPLY_MARKER)),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Message d'origine\s*-{2,}", re.IGNORECASE),
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le\b.{0,300}\ba écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's rule above its "From: ... Sent:" block
    re.compile(r"^\s*(?:From|De)\s*:.+$"),  # only with a Sent/Envoyé line below: see _is_header
]
# "On Mon, 1 Jun 2026 at 10:00, Jane <jane@x>" + "wrote:" on the next line (Gmail wraps it).
_WROTE_SPLIT = re.compile(r"^\s*(?:On|Le)\b.{0,300}$", re.IGNORECASE)
_WROTE_END = re.compile(r"^\s*.{0,200}(?:wrote|a écrit)\s*:\s*$", re.IGNORECASE)
_SENT_LINE = re.compile(r"^\s*(?:Sent|Envoyé|Date)\s*:", re.IGNORECASE)


def _history_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        for pattern in _HISTORY_STARTS[:-1]:
            if pattern.match(line):
                return i
        if _HISTORY_STARTS[-1].match(line) and any(
            _SENT_LINE.match(following) for following in lines[i + 1 : i + 4]
        ):
            return i
        if (
            _WROTE_SPLIT.match(line)
            and i + 1 < len(lines)
            and _WROTE_END.match(lines[i + 1])
            and len(line) + len(lines[i + 1]) < 400
        ):
            return i
    return None


def text_trim(text: str) -> str:
    """What the sender wrote, without the quoted history below it or their signature.

    Cut at our REPLY_MARKER, "On ... wrote:", "Le ... a écrit :", "-----Original Message-----",
    an Outlook "De : ... Envoyé :" block; then a trailing block of ">" quoted lines and
    everything after a "-- " signature line. When trimming leaves nothing (a reply written
    below the quote), the text is kept whole rather than lost.
    """
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = _history_start(lines)
    kept = lines[:start] if start is not None else lines
    for i, line in enumerate(kept):
        if line in ("-- ", "--"):
            kept = kept[:i]
            break
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or (text or "").strip()


def text_clean(value: str) -> str:
    """A string any database accepts: no NUL, no lone surrogate (from undecodable bytes)."""
    return (value or "").replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
