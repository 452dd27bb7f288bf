"""What a request says, apart from its test id: for finding near requests across a whole tree.

A replay miss is explained by the recording the live request replaced. When a
test was renamed or re-parametrized, that recording sits under another test id,
so names do not find it; its content does. Each recording gets a fingerprint,
kept in the verify cache beside its hashes:

* `content`: a digest of the newest recorder's normalized request without the
  test id. Equal digests are the same request, whatever test sent it.
* `sketch`: the smallest CRC32s of the request's lines (each string cut into
  its own lines, digits blanked). The share of tokens two sketches have in
  common says how alike two requests are, so a near request is found at any
  tree size without reading its file (explain.nearest keeps an inverted index
  of the tokens).

Pure stdlib: no Textual, no Rich.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from typing import Any

from .hashing import NEWEST, hash_object

SKETCH_SIZE = 32
_MAX_TEXT = 2_000_000       # a huge request is judged by its first 2 MB

# Values that differ on every run (ids, uuids, hex digests, dates and times, temporary paths,
# decimals such as scores, long numbers): two strings equal once these are blanked differ
# only by them. Small integers stay: "top 3" versus "top 5" is a prompt change.
VOLATILE_TEXT = re.compile(
    r"""(?x)
      \b(?:call|file|vs|batch|resp|msg|run|chatcmpl|rec|fc|toolu|req|asst|thread|step|conv|item|ws|cmpl|chunk|ls)[-_][A-Za-z0-9_-]{4,}
    | [0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}
    | \b[0-9a-f]{16,}\b
    | \d{4}-\d\d-\d\d(?:[T\ ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?
    | \b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\ \d{1,2}(?:st|nd|rd|th)?,?\ \d{4}\b
    | \b\d{1,2}(?:st|nd|rd|th)?\ (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\ \d{4}\b
    | (?:/private)?/(?:tmp|var/folders)/[^\s"']+ | \btmp[a-z0-9_]{6,}
    | -?\d+\.\d+(?:[eE][-+]?\d+)? | \b\d{5,}\b
    """
)
_DIGITS = str.maketrans("0123456789", "##########")
_INDEX = re.compile(r"\[\d+\]")


def devolatilize(s: str) -> str:
    return VOLATILE_TEXT.sub("#", s)


Fingerprint = tuple[str | None, tuple[int, ...]]


def request_object(envelope: Any, version: str = NEWEST) -> dict | None:
    """The hashed object of `version` without the test id (None when that version cannot hash it)."""
    return without_test_id(hash_object(envelope, version) if isinstance(envelope, dict) else None)


def without_test_id(obj: dict | None) -> dict | None:
    return None if obj is None else {k: v for k, v in obj.items() if k != "test_id"}


def fingerprint(envelope: Any) -> Fingerprint:
    """(content digest, sketch) of a recording's request; (None, ()) when it cannot be normalized."""
    return fingerprint_object(request_object(envelope))


def fingerprint_object(obj: dict | None) -> Fingerprint:
    """The fingerprint of a request object already normalized (`request_object`)."""
    if obj is None:
        return None, ()
    try:
        # one line per leaf; ensure_ascii off so text stays text, as it was sent
        text = json.dumps(obj, sort_keys=True, indent=0, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return None, ()
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return digest, sketch_text(text)


def sketch_text(text: str) -> tuple[int, ...]:
    """The SKETCH_SIZE smallest CRC32s of the lines of an indented JSON text (each string's own
    lines apart), digits blanked so numbers, scores and most ids do not tell two runs apart.
    A translate and a split: no regex, no walk in Python (a regex pass cost more than hashing)."""
    text = text[:_MAX_TEXT].replace("\\n", "\n").translate(_DIGITS)
    tokens = {zlib.crc32(line.strip().encode("utf-8", "surrogatepass")) for line in text.split("\n")}
    return tuple(sorted(tokens)[:SKETCH_SIZE])


def generic_path(path: str) -> str:
    """'body.messages[3].content' -> 'body.messages[].content': a change's place, whichever item."""
    return _INDEX.sub("[]", path)
