"""How deliveries are signed, and how a receiver checks them.

Every delivery carries ``X-MSP-Signature: t=<timestamp>,v1=<hex>`` where ``<timestamp>`` is the
Unix time of the attempt (also sent as ``X-MSP-Timestamp``) and ``<hex>`` is the HMAC-SHA256, keyed
with the hook's signing secret (UTF-8), of the bytes ``f"{timestamp}."`` followed by the raw
request body, exactly as received. A receiver:

1. reads the raw body before any JSON parsing (re-serialising changes the bytes);
2. splits the header on ``,`` into ``key=value`` pairs and takes ``t`` and every ``v1``;
3. refuses the request when ``t`` is more than five minutes away from its own clock (the replay
   window: a captured request cannot be replayed later);
4. computes ``hmac_sha256(secret, f"{t}." + body)`` and compares it to each ``v1`` with a
   constant-time comparison (``hmac.compare_digest``);
5. treats ``X-MSP-Delivery`` (the same on every retry of one delivery) or the body's ``id`` as an
   idempotency key, because a delivery can arrive more than once;
6. answers 2xx quickly; anything else, or no answer within the timeout, is retried.

:func:`signature_verify` is that recipe in Python, standard library only; copy it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

#: How far a receiver should accept the timestamp from its own clock, in seconds.
REPLAY_WINDOW = 300


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    """The X-MSP-Signature value for this body, signed at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    now: float | None = None,
    tolerance: int = REPLAY_WINDOW,
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` within the replay window."""
    pairs = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value.strip() for key, value in pairs if key.strip() == "t"]
    signatures = [value.strip() for key, value in pairs if key.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        return False
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return any(hmac.compare_digest(expected.hexdigest(), sig) for sig in signatures)
