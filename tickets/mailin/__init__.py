"""Mail in: IMAP mailboxes become tickets and replies.

- ``parse``: raw bytes -> :class:`~tickets.mailin.parse.ParsedMail` (charsets, bodies, files);
- ``text``: HTML sanitised with nh3 and turned into text; quoted history trimmed;
- ``loops``: automatic replies, bounces and our own mail, which are never answered;
- ``route``: who sent it and which ticket it answers; every ticket change via tickets.services;
- ``poll``: reading the mailboxes with imap-tools, each under its own lease.

The raw message is stored before anything else happens to it, so nothing read is ever lost.
"""
