"""What a recording's file name and request envelope say it is, defined once.

The file name carries the request hash (FORMAT.md, "Where recordings live"):
`<64 hex>.json` (2025-10 on), `<12 hex>.json` (2025-07..10, the first 12 hex of
the v1 hash) and `models-<hash>-<8 hex>.json` for model lists (the hash is 12
hex in the 2025-09..10 layout). The request's keys tell its kind (FORMAT.md,
"Kinds of request"). Display (recording), hashing, verify and explain all ask here.
"""

from __future__ import annotations

import os
import re
from typing import Any, NamedTuple

_NAME = re.compile(r"(?:([0-9a-f]{64}|[0-9a-f]{12})|models-([0-9a-f]{64}|[0-9a-f]{12})-([0-9a-f]{8}))")


class FileName(NamedTuple):
    hash: str                  # 64 hex, or 12 (a prefix of the v1 hash)
    form: str                  # "h64" | "h12" | "models"
    model_digest: str | None   # models-<hash>-<digest>: the digest of the listed ids


def parse_stem(stem: str) -> FileName | None:
    """The hash a file name (without `.json`) carries, or None when it carries none."""
    m = _NAME.fullmatch(stem)
    if m is None:
        return None
    if m.group(1):
        h = m.group(1)
        return FileName(h, "h64" if len(h) == 64 else "h12", None)
    return FileName(m.group(2), "models", m.group(3))


def name_form(stem: str) -> str:
    """How a file is named: h12 (2025-07..10), h64 (2025-10 on), models, or other."""
    named = parse_stem(stem)
    return named.form if named else "other"


def name_hash(path: str) -> tuple[str, str] | None:
    """(hash, form) of a recording's file name, as replay matches it; form is "h12", "h64"
    or "models". A legacy model list (`models-<12 hex>-<8 hex>.json`) is named by a 12-hex
    prefix like any file of its layout, so its form here is "h12"."""
    name = os.path.basename(str(path))
    if not name.endswith(".json"):
        return None
    named = parse_stem(name[:-5])
    if named is None:
        return None
    return named.hash, ("h12" if len(named.hash) == 12 else named.form)


def model_digest(path: str) -> str | None:
    """The 8-hex digest of a model list's file name, or None."""
    name = os.path.basename(str(path))
    named = parse_stem(name[:-5]) if name.endswith(".json") else None
    return named.model_digest if named else None


def versions_named(hashes: dict[str, str | None], named: tuple[str, str]) -> list[str]:
    """The recorder versions (in `hashes`' order) whose hash the name carries: equal, or
    for a 12-hex name, starting with it."""
    h, form = named
    if form == "h12":
        return [v for v, full in hashes.items() if full is not None and full.startswith(h)]
    return [v for v, full in hashes.items() if full == h]


def request_kind(request: Any) -> str:
    """"inference" | "tool" | "http" | "file" | "unknown" (FORMAT.md "Kinds of request").

    Model lists and genai requests are "inference" (same hash recipe).
    """
    if not isinstance(request, dict):
        return "unknown"
    if "tool_name" in request:
        return "tool"
    has_body = "body" in request
    if request.get("api") == "file_processors" or ("file_id" in request and not has_body):
        return "file"
    if "payload" in request and not has_body:
        return "http"
    if has_body or "endpoint" in request:
        return "inference"
    return "unknown"

