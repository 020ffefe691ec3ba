"""How an audit event is hashed and sealed: the format an auditor re-computes offline.

An event's **hash** is SHA-256 over its canonical serialization: the JSON object of
``sealed_fields`` — ``v`` (format, 1), ``at`` (ISO 8601, UTC, microseconds), ``actor``
(``{"id": …, "name": …}`` as they were when the event was written, null for the system),
``action``, ``objectType``, ``objectId``, ``detail``, ``sequence`` and ``previousHash`` (the
hash of the event before, 64 zeros for the first) — written with sorted keys, no spaces and
ASCII escapes (``json.dumps(…, sort_keys=True, separators=(",", ":"))``).

Its **seal** is HMAC-SHA256 under ``settings.RAPORTAL_EVENT_SEAL_KEY`` (a key kept outside
the database) of ``b"event:" + hash``. Checkpoints (written before events are purged) and
the chain head are sealed under the same key with prefixes of their own, so that no seal
stands for another kind of record. All digests are lowercase hex.

Pure functions, no models: the migration that seals a site's existing events uses them too.
"""

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

FORMAT = 1
GENESIS = "0" * 64  # the "previous hash" of the first event


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def timestamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def normalized(detail: Any) -> Any:
    """The detail as the database gives it back (a JSON round trip: tuples become lists,
    keys strings), so that the hash computed before saving is the one recomputed later."""
    return json.loads(json.dumps(detail))


def sealed_fields(
    *,
    at: dt.datetime,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str,
    detail: Any,
    sequence: int,
    previous_hash: str,
) -> dict[str, Any]:
    return {
        "v": FORMAT,
        "at": timestamp(at),
        "actor": None if actor_id is None else {"id": actor_id, "name": actor_name},
        "action": action,
        "objectType": object_type,
        "objectId": object_id,
        "detail": detail,
        "sequence": sequence,
        "previousHash": previous_hash,
    }


def digest(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


def _mac(message: bytes) -> str:
    return hmac.new(settings.RAPORTAL_EVENT_SEAL_KEY, message, hashlib.sha256).hexdigest()


def event_seal(event_hash: str) -> str:
    return _mac(b"event:" + event_hash.encode())


def head_seal(sequence: int, event_hash: str) -> str:
    return _mac(f"head:{sequence}:{event_hash}".encode())


def checkpoint_seal(sequence: int, event_hash: str, at: dt.datetime) -> str:
    return _mac(f"checkpoint:{sequence}:{event_hash}:{timestamp(at)}".encode())


def matches(expected: str, stored: str) -> bool:
    return hmac.compare_digest(expected.encode(), (stored or "").encode())
