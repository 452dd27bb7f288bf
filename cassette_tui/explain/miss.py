"""One replay miss: what the recorder said it looked for, and the live request when it is known.

A miss comes from a log line (explain.logs.parse_log), a bare hash, or a
recording freshly written by `record-if-missing` (the live request itself).

Pure: no Textual, no Rich.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ..envelope import name_hash
from ..hashing import NEWEST
from ..recording import Recording
from ..verify import Verdict, verify_recording


@dataclass
class Miss:
    """One replay miss: what the recorder said it looked for."""

    variant: str                       # request-hash | genai | tool | httpx | httpx-stream | rerank | legacy | hash | recording
    kind: str = "inference"            # inference | tool | http
    hash: str | None = None            # the live request's hash (may be a prefix when a log truncated it)
    model: str | None = None
    method: str | None = None
    url: str | None = None
    endpoint: str | None = None        # the url's path, or the message's Endpoint: field
    tool: str | None = None            # provider.tool_name
    test_id: str | None = None
    line: int = 0                      # 1-based line of the log where the message starts (0: not from a log)
    count: int = 1                     # times the log holds this same miss
    text: str = ""                     # the message, unwrapped
    envelope: dict[str, Any] | None = None   # the live request as a recording envelope, when known
    version: str = NEWEST              # the recorder version that hashed the live request
    source: str | None = None          # the recording file, for variant "recording"
    live_from: str | None = None       # a recording whose request hashes to `hash`: the live request, found
    live_how: str = ""                 # how live_from was found to be the live request

    @property
    def live_known(self) -> bool:
        return self.envelope is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "kind": self.kind,
            "hash": self.hash,
            "model": self.model,
            "method": self.method,
            "url": self.url,
            "endpoint": self.endpoint,
            "tool": self.tool,
            "test_id": self.test_id,
            "line": self.line,
            "count": self.count,
            "live_request_known": self.live_known,
            "live_from": self.live_from,
            "live_how": self.live_how or None,
        }

def url_path(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlparse(url).path or url
    except ValueError:
        return url


def test_parts(test_id: str | None) -> tuple[str, str, str]:
    """(file, function, parameters) of a pytest node id."""
    if not test_id:
        return "", "", ""
    file, _, rest = test_id.partition("::")
    func, _, params = rest.partition("[")
    return file, func, params.rstrip("]")


def miss_from_hash(h: str, test_id: str | None = None) -> Miss:
    """A bare hash (or prefix): no request is known; `test_id`, when the user gives it, says whose."""
    return Miss("hash", hash=h.lower(), test_id=test_id)


def miss_from_recording(rec: Recording, verdict: Verdict | None = None) -> Miss:
    """The live request as `record-if-missing` wrote it: everything about the miss is known."""
    v = verdict or verify_recording(rec)
    named = name_hash(rec.path)
    # The recorder that wrote the file named it by its own version's hash: compare under
    # that version's rules, which may keep what today's hide (scores, attributes, ids).
    version = v.versions[-1] if v.versions else NEWEST
    req = rec.request
    kind = v.kind if v.kind in ("tool", "http") else "inference"
    return Miss(
        "recording",
        kind=kind,
        hash=named[0] if named else v.expected,
        model=rec.model,
        method=req.get("method") if isinstance(req.get("method"), str) else None,
        url=rec.url or None,
        endpoint=rec.endpoint,
        tool=f"{req.get('provider')}.{req.get('tool_name')}" if kind == "tool" else None,
        test_id=rec.test_id,
        envelope=rec.data,
        version=version,
        source=rec.path,
    )


# --- inputs --------------------------------------------------------------------------------

_HASH_INPUT = re.compile(r"^[0-9a-f]{8,64}$")


def is_hash(text: str) -> bool:
    return bool(_HASH_INPUT.match(text.strip().lower()))

