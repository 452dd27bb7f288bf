"""Recompute the request hash that names a recording, for every recorder version.

(About 480 lines: the seven versions' rule table, the normalizers they name and
the id mapping stay in one module, so one reading shows a version whole.)

A recording is named by a sha256 of its (normalized) request.  The recorder's
hash changed seven times (see docs FORMAT.md, "The request hash"); knowing
which version's hash a file's name matches tells a user whether replay will
find it today, or whether it is stale, hand-edited or from an older recorder.

Pure stdlib: no Textual, no Rich, no imports of recorded types.

Version rules, as implemented here:

    v1  obj = {method, endpoint: urlparse(url).path, body}        (12-hex names)
    v2  + "test_id" unless the url's path is /api/tags or /v1/models
    v3  norm: floats round(x, 5) (ints and bools untouched); in every string
        value, r"-?\\d+\\.\\d{4,}" -> f"{float(m):.5f}"
    v4  /v1/openai/v1/models is a model-list path too
    v5  "bedrock" in the url's netloc: top-level body "stream_options" dropped
    v6  "project_id" popped from "extra_body"/"extra_query" of the root dict and
        of every dict that sits directly in a list (at any depth)
    v7  in every string value, before the decimals rule: score, attributes,
        document_id and <|uuid|> rewrites (patterns below)

Where FORMAT.md leaves details open, the recorder's published source and the
corpus (849 named files, tests/test_hashing.py) settled them:
  * decimals in strings: ``f"{float(m):.5f}"`` beats ``str(round(float(m), 5))``
    by 6 files in 2025-10 (e.g. "1.00000012" must become "1.00000", not "1.0");
    ``\\d{4,}`` vs ``\\d{5,}`` and with/without the leading ``-?`` tie.
  * floats: ``round(x, 5)`` vs ``float(f"{x:.5f}")`` tie -- no recorded request
    float has more than 5 places, so the corpus cannot tell; ``round`` kept.
  * model-list test is on the *real* url's path, so the usual doubled
    ``/v1/v1/models`` is NOT a model-list path and keeps ``"test_id": null``;
    treating it as one loses 10 files in 2025-10 and 23 in 2026-05.
  * v5 (bedrock) and v6 (project_id, incl. dicts directly in lists) are
    confirmed by 36 and 45 2026-05 files that only match from those versions.
  * v7's regexes (below) are the recorder's own; the corpus only confirms them
    negatively: the 27 pre-v7 file-search files matching v3..v6 fail v7.
  * tuples never occur (JSON), so the recorder's tuple branch is not needed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from .envelope import model_digest, name_hash, request_kind, versions_named

VERSIONS = ("v1", "v2", "v3", "v4", "v5", "v6", "v7")
NEWEST = "v7"

_VERSION_INDEX = {v: i + 1 for i, v in enumerate(VERSIONS)}

_MODEL_PATHS_V2 = frozenset({"/api/tags", "/v1/models"})
_MODEL_PATHS_V4 = frozenset({"/api/tags", "/v1/models", "/v1/openai/v1/models"})

# -- string rewrites ---------------------------------------------------------

_DECIMAL_RE = re.compile(r"(-?\d+\.\d{4,})")

_UUID = r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"
_SCORE_RE = re.compile(r"score:\s*[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?")
_ATTRIBUTES_RE = re.compile(r",?\s*attributes:\s*\{[^}]*\}")
_DOCUMENT_ID_RE = re.compile(r"document_id:\s*" + _UUID)
_CITATION_RE = re.compile(r"<\|" + _UUID + r"\|>")
# cheap pre-filter: a string none of the v7 patterns can touch is skipped
_V7_HINT_RE = re.compile(r"score:|attributes:|document_id:|<\|")


def _decimal_sub(match: re.Match[str]) -> str:
    return f"{float(match.group(0)):.5f}"


def _rewrite_decimals(value: str) -> str:
    return _DECIMAL_RE.sub(_decimal_sub, value)


def _rewrite_file_search(value: str) -> str:
    value = _SCORE_RE.sub("score: __NORMALIZED__", value)
    value = _ATTRIBUTES_RE.sub("", value)
    value = _DOCUMENT_ID_RE.sub("document_id: __NORMALIZED__", value)
    value = _CITATION_RE.sub("<|__NORMALIZED__|>", value)
    return value


# -- the body normalizer -----------------------------------------------------

# Rule names, reported by the tracking walk when a rule could change something.
_NUM = "num"  # v3+: float rounding and decimals in strings
_PID = "pid"  # v6+: project_id in extra_body / extra_query
_FS = "fs"  # v7+: file-search string rewrites
_BEDROCK = "bedrock"  # v5+: top-level stream_options on bedrock hosts


def _norm(value: Any, fs: bool, pid: bool, fired: set[str] | None, is_root: bool = True) -> Any:
    """The recorder's body normalizer for v3+ (numbers always; ``fs`` for v7, ``pid`` for v6).

    ``fired``, when given, collects the rules that may have changed something,
    judged on the raw input so one walk tells which versions share a result.
    """
    if isinstance(value, dict):
        out = {k: _norm(v, fs, pid, fired, False) for k, v in value.items()}
        if is_root:
            for extra_key in ("extra_body", "extra_query"):
                extra = out.get(extra_key)
                if isinstance(extra, dict) and "project_id" in extra:
                    if fired is not None:
                        fired.add(_PID)
                    if pid:
                        del extra["project_id"]
        return out
    if isinstance(value, list):
        # items of a list are "roots" for the project_id rule (the recorder
        # recurses into list items with its default is_root=True)
        return [_norm(v, fs, pid, fired, True) for v in value]
    if isinstance(value, float):
        r = round(value, 5)
        if fired is not None and r != value:
            fired.add(_NUM)
        return r
    if isinstance(value, str):
        if fired is not None:
            if _DECIMAL_RE.search(value):
                fired.add(_NUM)
            if _V7_HINT_RE.search(value) and _rewrite_file_search(value) != value:
                fired.add(_FS)
        if fs and _V7_HINT_RE.search(value):
            value = _rewrite_file_search(value)
        return _rewrite_decimals(value)
    return value


def normalize_body(body: Any, version: str, *, bedrock: bool = False) -> Any:
    """``body`` as the recorder of ``version`` normalizes it before hashing.

    ``bedrock``: the request's host contains "bedrock" (drops top-level
    ``stream_options`` from v5 on; inference requests only).
    """
    r = RULES[version]
    if not r.numbers:
        return body
    out = _norm(body, r.file_search, r.project_id, None)
    if bedrock and r.bedrock and isinstance(out, dict):
        out.pop("stream_options", None)
    return out


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


# -- id normalization ----------------------------------------------------------


MAX_ID_GROWTH = 8 * 1024 * 1024   # characters the id mapping may add to a whole recording


class IdMappingTooLarge(ValueError):
    """An id_normalization_mapping whose replacements feed each other grows the recording without bound."""


def _replace_all(value: Any, pairs: list[tuple[str, str]], budget: list[int]) -> Any:
    if isinstance(value, str):
        for alias, original in pairs:
            if original in value:
                grown = value.count(original) * (len(alias) - len(original))
                if grown > 0:
                    budget[0] -= grown     # counted before replacing: a chain of doublings stops here, not at 7 GB
                    if budget[0] < 0:
                        raise IdMappingTooLarge(f"id_normalization_mapping would grow the recording by more than {MAX_ID_GROWTH:,} characters")
                value = value.replace(original, alias)
        return value
    if isinstance(value, dict):
        return {_replace_all(k, pairs, budget): _replace_all(v, pairs, budget) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_all(v, pairs, budget) for v in value]
    return value


def apply_id_normalization(envelope: dict) -> dict:
    """Replace every ``original`` of ``id_normalization_mapping`` by its alias.

    The recorder does ``json.dumps(data).replace(original, alias)`` per pair, in
    mapping order, then loads the text back and empties the mapping.  Doing it
    string by string (keys and values) gives the same result for any original
    free of JSON-escaped characters, and can never break the JSON.  Like the
    recorder, the returned copy has an empty mapping.  Anything odd (no mapping,
    not a dict, non-string or empty originals) is left alone.  Replacements that would
    add more than MAX_ID_GROWTH characters raise IdMappingTooLarge (no recorder could
    have written such a file: every version's hash is then unknown).
    """
    if not isinstance(envelope, dict):
        return envelope
    mapping = envelope.get("id_normalization_mapping")
    if not isinstance(mapping, dict) or not mapping:
        return envelope
    pairs = [(a, o) for a, o in mapping.items() if isinstance(a, str) and isinstance(o, str) and o]
    if not pairs:
        return envelope
    budget = [MAX_ID_GROWTH]
    try:
        out = {k: _replace_all(v, pairs, budget) for k, v in envelope.items() if k != "id_normalization_mapping"}
    except RecursionError:
        return envelope
    out["id_normalization_mapping"] = {}
    return out


# -- kinds --------------------------------------------------------------------


# -- the rule table -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rules:
    """What the recorder of one version hashes, and how it normalizes it first."""

    test_id: bool                 # v2: the test id is in the hashed object (inference, but model-list paths)
    model_paths: frozenset[str]   # url paths hashed without the test id
    numbers: bool                 # v3: floats rounded to 5 places, decimals in strings rewritten
    bedrock: bool                 # v5: top-level stream_options dropped for hosts containing "bedrock"
    project_id: bool              # v6: project_id dropped from extra_body / extra_query
    file_search: bool             # v7: score / attributes / document_id / <|uuid|> rewrites in strings
    tool: bool                    # tool invocations hashed (they came with the per-area layout, v2)
    http: bool                    # HTTP passthroughs hashed (they came after v3)


RULES: dict[str, Rules] = {
    v: Rules(
        test_id=n >= 2,
        model_paths=_MODEL_PATHS_V4 if n >= 4 else _MODEL_PATHS_V2,
        numbers=n >= 3,
        bedrock=n >= 5,
        project_id=n >= 6,
        file_search=n >= 7,
        tool=n >= 2,
        http=n >= 3,
    )
    for v, n in _VERSION_INDEX.items()
}


# -- the hashed object ----------------------------------------------------------------


def hashed_objects(envelope: Any, versions: tuple[str, ...] = VERSIONS) -> dict[str, dict | None]:
    """{version: the object whose `json.dumps(sort_keys=True)` sha256 that version's recorder computes}.

    None where that version cannot hash the request (tool: v1; http: v1, v2; file
    processors and unknown shapes: always; a malformed request). Versions whose rules
    come to the same for this request share one object (the same Python object).
    """
    try:
        return _objects(envelope, versions)
    except (TypeError, ValueError, RecursionError):
        # odd input (non-JSON values, absurd nesting): no version can hash it
        return dict.fromkeys(versions)


def _objects(envelope: Any, versions: tuple[str, ...]) -> dict[str, dict | None]:
    out: dict[str, dict | None] = dict.fromkeys(versions)
    if not isinstance(envelope, dict):
        return out
    envelope = apply_id_normalization(envelope)
    request = envelope.get("request")
    kind = request_kind(request)
    test_id = envelope.get("test_id")
    if kind == "inference":
        return _inference_objects(request, test_id, versions)
    if kind == "tool":
        # never a test id nor a norm: the same object for every version that hashes tools
        obj = {"provider": request.get("provider"), "tool_name": request.get("tool_name"), "kwargs": request.get("kwargs")}
        return {v: obj if RULES[v].tool else None for v in versions}
    if kind == "http":
        # norm(payload) and the test id; the bedrock rule never applies to payloads
        method = request.get("method")
        method = method.upper() if isinstance(method, str) else method
        shared: dict[tuple[bool, bool], dict] = {}
        for v in versions:
            r = RULES[v]
            if not r.http:
                continue
            key = (r.file_search, r.project_id)
            if key not in shared:
                payload = _norm(request.get("payload"), r.file_search, r.project_id, None)
                shared[key] = {"test_id": test_id, "url": request.get("url"), "method": method, "payload": payload}
            out[v] = shared[key]
    # "file" (file processors): FORMAT.md gives no hash recipe, and the
    # current recorder no longer records them -> None for every version.
    return out


def _inference_objects(request: dict, test_id: Any, versions: tuple[str, ...]) -> dict[str, dict | None]:
    url, method = request.get("url"), request.get("method")
    if not isinstance(url, str) or not isinstance(method, str):
        return dict.fromkeys(versions)
    parsed = urlparse(url)
    path = parsed.path
    body = request.get("body")
    bedrock_host = "bedrock" in parsed.netloc

    if len(versions) == 1:   # one version: its own walk, without the tracking that sharing needs
        r = RULES[versions[0]]
        obj: dict[str, Any] = {"method": method.upper(), "endpoint": path, "body": normalize_body(body, versions[0], bedrock=bedrock_host)}
        if r.test_id and path not in r.model_paths:
            obj["test_id"] = test_id
        return {versions[0]: obj}

    # One tracking walk tells which rules can change this body at all, so versions whose
    # *effective* rules coincide share one normalized body (and, in request_hashes, one dumps).
    fired: set[str] = set()
    full = _norm(body, True, True, fired)
    if bedrock_host and isinstance(body, dict) and "stream_options" in body:
        fired.add(_BEDROCK)

    bodies: dict[frozenset[str], Any] = {}
    objects: dict[tuple[frozenset[str], bool], dict] = {}
    out: dict[str, dict | None] = {}
    for v in versions:
        r = RULES[v]
        rules = {name for name, on in ((_NUM, r.numbers), (_BEDROCK, r.bedrock), (_PID, r.project_id), (_FS, r.file_search)) if on}
        eff = frozenset(rules & fired) if r.numbers else frozenset()
        with_test_id = r.test_id and path not in r.model_paths
        key = (eff, with_test_id)
        if key not in objects:
            if eff not in bodies:
                if not r.numbers or not (eff - {_BEDROCK}):
                    nb = body  # no rule can change it: the walk would be a no-op
                elif (_FS in eff or _FS not in fired) and (_PID in eff or _PID not in fired):
                    nb = full
                else:
                    nb = _norm(body, _FS in eff, _PID in eff, None)
                if _BEDROCK in eff and isinstance(nb, dict):
                    nb = {k: x for k, x in nb.items() if k != "stream_options"}
                bodies[eff] = nb
            shared: dict[str, Any] = {"method": method.upper(), "endpoint": path, "body": bodies[eff]}
            if with_test_id:
                shared["test_id"] = test_id
            objects[key] = shared
        out[v] = objects[key]
    return out


def hash_object(envelope: dict, version: str = NEWEST) -> dict | None:
    """The object whose ``json.dumps(sort_keys=True)`` sha256 is ``request_hash(envelope, version)``.

    What a structural diff of two requests should compare: the normalized body
    (``body``, ``payload`` or ``kwargs``), the url's path and, where the version
    hashes it, the test id.  None when that version cannot hash the request.
    """
    _check(version)
    return hashed_objects(envelope, (version,))[version]


# -- hashing ------------------------------------------------------------------


def request_hash(envelope: dict, version: str) -> str | None:
    """The 64-hex sha256 the recorder of ``version`` computes for this request.

    None when that version cannot hash this kind of request (tool: v1; http:
    v1, v2; file processor and unknown shapes: always) or the request is malformed.
    """
    _check(version)
    return _hashes(envelope, (version,))[version]


def request_hashes(envelope: dict) -> dict[str, str | None]:
    """``{version: request_hash(envelope, version)}`` for all versions, sharing work."""
    return _hashes(envelope, VERSIONS)


def _hashes(envelope: dict, versions: tuple[str, ...]) -> dict[str, str | None]:
    return hashes_of(hashed_objects(envelope, versions))


def hashes_of(objects: dict[str, dict | None]) -> dict[str, str | None]:
    """{version: sha256 hex} of `hashed_objects`' result (a caller that needs both computes the objects once)."""
    digests: dict[int, str | None] = {}     # by object identity: versions sharing an object share one dumps
    out: dict[str, str | None] = {}
    for v, obj in objects.items():
        if obj is None:
            out[v] = None
            continue
        if id(obj) not in digests:
            try:
                digests[id(obj)] = _sha(obj)
            except (TypeError, ValueError, RecursionError):
                digests[id(obj)] = None
        out[v] = digests[id(obj)]
    return out


def _check(version: str) -> None:
    if version not in _VERSION_INDEX:
        raise ValueError(f"unknown version {version!r}; expected one of {VERSIONS}")


# -- file names -------------------------------------------------------------------

def matching_versions(envelope: dict, path: str) -> list[str]:
    """The versions whose hash of this request matches the file's name.

    A 12-hex name matches when the 64-hex hash starts with it.  For
    ``models-<h64>-<digest8>.json`` only the hash part is compared here; see
    :func:`model_list_digest_matches` for the digest part.
    """
    named = name_hash(path)
    return versions_named(request_hashes(envelope), named) if named else []


# -- model lists --------------------------------------------------------------------


def model_list_digest(model_ids: Iterable[Any], algorithm: str = "sha256") -> str:
    """First 8 hex of sha256 (or sha1) of the sorted unique ids joined by "|"."""
    joined = "|".join(sorted({str(i) for i in model_ids}))
    return hashlib.new(algorithm, joined.encode("utf-8")).hexdigest()[:8]


def model_list_ids(envelope: dict) -> list[str] | None:
    """The model ids of a model-list recording's response, or None if not found.

    ``/v1/models``: body is a list of ``{"__type__", "__data__": {"id"}}``;
    ``/api/tags``: an Ollama ListResponse ``{"__data__": {"models": [{"model"}]}}``.
    """
    try:
        response = envelope.get("response") or {}
        body = response.get("body")
        request = envelope.get("request") or {}
        endpoint = request.get("endpoint")
        if isinstance(body, dict):
            data = body.get("__data__", body)
            items = data.get("models") if isinstance(data, dict) else None
            key = "model"
        else:
            items = body
            key = "model" if endpoint == "/api/tags" else "id"
        if not isinstance(items, list):
            return None
        ids = []
        for item in items:
            if not isinstance(item, dict):
                return None
            d = item.get("__data__", item)
            if not isinstance(d, dict):
                return None
            ident = d.get(key)
            if ident is None and key == "model":
                ident = d.get("name")
            if ident is None:
                return None
            ids.append(str(ident))
        return ids
    except AttributeError:
        return None


def model_list_digest_matches(envelope: dict, path: str) -> bool | None:
    """Whether a ``models-<h64>-<digest8>.json`` name's digest fits the response's ids.

    True when sha256 (or, for files from before 2025-09-12, sha1) of the ids
    gives the digest; False when neither does; None when the name is not a
    model-list name or the ids cannot be read.
    """
    digest = model_digest(path)
    if digest is None or not isinstance(envelope, dict):
        return None
    ids = model_list_ids(apply_id_normalization(envelope))
    if ids is None:
        return None
    return digest in (model_list_digest(ids, "sha256"), model_list_digest(ids, "sha1"))
