"""Tests for cassette_tui.hashing: each recorder version's rules, then the real corpus.

Every expected hash below is computed here from a literal, hand-written
normalized object, so a wrong rule in the module makes a test fail.
"""

from __future__ import annotations

import collections
import hashlib
import json
import time
from pathlib import Path

import pytest

from cassette_tui.hashing import (
    NEWEST,
    VERSIONS,
    apply_id_normalization,
    matching_versions,
    model_list_digest,
    model_list_digest_matches,
    name_hash,
    request_hash,
    request_kind,
)

TID = "tests/integration/inference/test_x.py::test_y[txt=openai/gpt-4o]"
UUID = "0123abcd-4567-89ef-0123-456789abcdef"


def sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def env(url: str, body, test_id=TID, **extra) -> dict:
    return {
        "test_id": test_id,
        "request": {"method": "POST", "url": url, "headers": {}, "body": body, "endpoint": "/v1/chat/completions", "model": "m"},
        "response": {"body": None, "is_streaming": False},
        **extra,
    }


CHAT = "https://api.openai.com/v1/v1/chat/completions"
CHAT_PATH = "/v1/v1/chat/completions"


def test_constants():
    assert VERSIONS == ("v1", "v2", "v3", "v4", "v5", "v6", "v7")
    assert NEWEST == "v7"


def test_v1_no_test_id_and_identity_body():
    body = {"model": "m", "temperature": 0.123456789, "messages": [{"role": "user", "content": "took 0.1234567s"}]}
    e = env(CHAT, body)
    assert request_hash(e, "v1") == sha({"method": "POST", "endpoint": CHAT_PATH, "body": body})
    # the real url's path, not the endpoint field
    assert request_hash(e, "v1") != sha({"method": "POST", "endpoint": "/v1/chat/completions", "body": body})


def test_method_is_upper_cased():
    body = {"model": "m"}
    e = env(CHAT, body)
    e["request"]["method"] = "post"
    assert request_hash(e, "v1") == sha({"method": "POST", "endpoint": CHAT_PATH, "body": body})


def test_v3_float_rounding_not_in_v2():
    body = {"model": "m", "temperature": 0.123456789, "n": 1, "top_p": 1.0, "stream": True}
    e = env(CHAT, body)
    assert request_hash(e, "v2") == sha({"method": "POST", "endpoint": CHAT_PATH, "body": body, "test_id": TID})
    expected = {"model": "m", "temperature": 0.12346, "n": 1, "top_p": 1.0, "stream": True}
    for v in ("v3", "v4", "v5", "v6", "v7"):
        assert request_hash(e, v) == sha({"method": "POST", "endpoint": CHAT_PATH, "body": expected, "test_id": TID}), v
    assert request_hash(e, "v2") != request_hash(e, "v3")


def test_v3_ints_stay_ints():
    body = {"model": "m", "max_tokens": 10, "seed": 12345678901}
    e = env(CHAT, body)
    # json.dumps would print 10.0 if the int became a float
    assert request_hash(e, "v3") == sha({"method": "POST", "endpoint": CHAT_PATH, "body": body, "test_id": TID})
    assert request_hash(e, "v3") != sha(
        {"method": "POST", "endpoint": CHAT_PATH, "body": {"model": "m", "max_tokens": 10.0, "seed": 12345678901.0}, "test_id": TID}
    )


def test_v3_decimals_in_strings():
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "took 0.1234567s"},
            {"role": "user", "content": "pi is 3.14, e is 2.7183, x=-2.50000001"},
        ],
    }
    e = env(CHAT, body)
    expected = {
        "model": "m",
        "messages": [
            {"role": "user", "content": "took 0.12346s"},
            {"role": "user", "content": "pi is 3.14, e is 2.71830, x=-2.50000"},
        ],
    }
    assert request_hash(e, "v3") == sha({"method": "POST", "endpoint": CHAT_PATH, "body": expected, "test_id": TID})
    assert request_hash(e, "v2") == sha({"method": "POST", "endpoint": CHAT_PATH, "body": body, "test_id": TID})


def test_dict_keys_are_not_normalized():
    body = {"model": "m", "metadata": {"0.1234567": "k"}}
    e = env(CHAT, body)
    assert request_hash(e, "v7") == sha({"method": "POST", "endpoint": CHAT_PATH, "body": body, "test_id": TID})


def test_v2_model_list_paths_omit_test_id():
    body = {}
    e = env("http://localhost:11434/v1/models", body)
    assert request_hash(e, "v1") == sha({"method": "POST", "endpoint": "/v1/models", "body": body})
    for v in VERSIONS[1:]:
        assert request_hash(e, v) == sha({"method": "POST", "endpoint": "/v1/models", "body": body}), v
    tags = env("http://localhost:11434/api/tags", body)
    assert request_hash(tags, "v2") == sha({"method": "POST", "endpoint": "/api/tags", "body": body})
    # the usual doubled path is not a model-list path: test id kept (here null)
    doubled = env("https://api.openai.com/v1/v1/models", body, test_id=None)
    assert request_hash(doubled, "v2") == sha({"method": "POST", "endpoint": "/v1/v1/models", "body": body, "test_id": None})


def test_v4_openai_compat_models_path():
    body = {}
    e = env("http://localhost:8321/v1/openai/v1/models", body)
    with_tid = sha({"method": "POST", "endpoint": "/v1/openai/v1/models", "body": body, "test_id": TID})
    without = sha({"method": "POST", "endpoint": "/v1/openai/v1/models", "body": body})
    assert request_hash(e, "v2") == with_tid
    assert request_hash(e, "v3") == with_tid
    for v in ("v4", "v5", "v6", "v7"):
        assert request_hash(e, v) == without, v


def test_v5_bedrock_drops_top_level_stream_options():
    url = "https://bedrock-runtime.us-west-2.amazonaws.com/openai/v1/chat/completions"
    path = "/openai/v1/chat/completions"
    body = {"model": "m", "stream": True, "stream_options": {"include_usage": True}, "extra": {"stream_options": 1}}
    e = env(url, body)
    assert request_hash(e, "v4") == sha({"method": "POST", "endpoint": path, "body": body, "test_id": TID})
    dropped = {"model": "m", "stream": True, "extra": {"stream_options": 1}}
    for v in ("v5", "v6", "v7"):
        assert request_hash(e, v) == sha({"method": "POST", "endpoint": path, "body": dropped, "test_id": TID}), v
    # not a bedrock host: kept
    e2 = env(CHAT, body)
    assert request_hash(e2, "v7") == sha({"method": "POST", "endpoint": CHAT_PATH, "body": body, "test_id": TID})


def test_v6_project_id_removed_from_root_and_list_items():
    body = {
        "model": "m",
        "extra_body": {"project_id": "p1", "guided_choice": ["a", "b"]},
        "extra_query": {"project_id": "p2"},
        "messages": [{"role": "user", "content": "hi", "extra_body": {"project_id": "p3", "keep": 1}}],
        "nested": {"extra_body": {"project_id": "kept"}},
    }
    e = env(CHAT, body)
    assert request_hash(e, "v5") == sha({"method": "POST", "endpoint": CHAT_PATH, "body": body, "test_id": TID})
    expected = {
        "model": "m",
        "extra_body": {"guided_choice": ["a", "b"]},
        "extra_query": {},
        "messages": [{"role": "user", "content": "hi", "extra_body": {"keep": 1}}],
        "nested": {"extra_body": {"project_id": "kept"}},
    }
    for v in ("v6", "v7"):
        assert request_hash(e, v) == sha({"method": "POST", "endpoint": CHAT_PATH, "body": expected, "test_id": TID}), v
    # the input is not mutated
    assert body["extra_body"]["project_id"] == "p1"


def test_v7_file_search_rewrites():
    text = (
        f"[1] document_id: {UUID}, score: 0.93, attributes: {{'filename': 'a.pdf', 'token_count': 98.0}} "
        f"(cite as <|{UUID}|>) took 0.1234567s, score: 0.123456"
    )
    body = {"model": "m", "messages": [{"role": "tool", "content": text}]}
    e = env(CHAT, body)
    v6_text = (
        f"[1] document_id: {UUID}, score: 0.93, attributes: {{'filename': 'a.pdf', 'token_count': 98.0}} "
        f"(cite as <|{UUID}|>) took 0.12346s, score: 0.12346"
    )
    v7_text = (
        "[1] document_id: __NORMALIZED__, score: __NORMALIZED__ "
        "(cite as <|__NORMALIZED__|>) took 0.12346s, score: __NORMALIZED__"
    )
    for v in ("v3", "v6"):
        assert request_hash(e, v) == sha(
            {"method": "POST", "endpoint": CHAT_PATH, "body": {"model": "m", "messages": [{"role": "tool", "content": v6_text}]}, "test_id": TID}
        ), v
    assert request_hash(e, "v7") == sha(
        {"method": "POST", "endpoint": CHAT_PATH, "body": {"model": "m", "messages": [{"role": "tool", "content": v7_text}]}, "test_id": TID}
    )


def test_v7_simple_score():
    e = env(CHAT, {"model": "m", "input": "score: 0.93"})
    assert request_hash(e, "v7") == sha(
        {"method": "POST", "endpoint": CHAT_PATH, "body": {"model": "m", "input": "score: __NORMALIZED__"}, "test_id": TID}
    )
    assert request_hash(e, "v6") == sha(
        {"method": "POST", "endpoint": CHAT_PATH, "body": {"model": "m", "input": "score: 0.93"}, "test_id": TID}
    )


def test_tool_invocation_hash():
    e = {
        "test_id": TID,
        "request": {"test_id": TID, "provider": "tavily", "tool_name": "web_search", "kwargs": {"query": "took 0.1234567s"}},
        "response": {"body": {}, "is_streaming": False},
    }
    assert request_kind(e["request"]) == "tool"
    assert request_hash(e, "v1") is None
    expected = sha({"provider": "tavily", "tool_name": "web_search", "kwargs": {"query": "took 0.1234567s"}})
    for v in VERSIONS[1:]:
        assert request_hash(e, v) == expected, v


def test_http_passthrough_hash():
    url = "http://localhost:8000/v1/rerank"
    payload = {"model": "r", "query": "q", "documents": ["a 0.1234567"], "extra_body": {"project_id": "p"}}
    e = {
        "test_id": TID,
        "request": {"test_id": TID, "url": url, "method": "post", "payload": payload},
        "response": {"status": 200, "body": {}, "is_streaming": False},
    }
    assert request_kind(e["request"]) == "http"
    assert request_hash(e, "v1") is None and request_hash(e, "v2") is None
    v3_payload = {"model": "r", "query": "q", "documents": ["a 0.12346"], "extra_body": {"project_id": "p"}}
    assert request_hash(e, "v3") == sha({"test_id": TID, "url": url, "method": "POST", "payload": v3_payload})
    v6_payload = {"model": "r", "query": "q", "documents": ["a 0.12346"], "extra_body": {}}
    assert request_hash(e, "v6") == sha({"test_id": TID, "url": url, "method": "POST", "payload": v6_payload})


def test_file_and_unknown_kinds_give_none():
    f = {"test_id": TID, "request": {"test_id": TID, "provider": "pypdf", "api": "file_processors", "file_id": "file-1"}}
    assert request_kind(f["request"]) == "file"
    assert all(request_hash(f, v) is None for v in VERSIONS)
    for odd in ({}, {"request": None}, {"request": {"foo": 1}}, {"request": {"url": 3, "method": "POST", "body": {}}}):
        assert all(request_hash(odd, v) is None for v in VERSIONS)
    assert request_kind(None) == "unknown"
    assert request_kind({"foo": 1}) == "unknown"
    assert request_kind({"method": "POST", "url": CHAT, "body": {}}) == "inference"


def test_unknown_version_raises():
    with pytest.raises(ValueError):
        request_hash(env(CHAT, {}), "v9")


def test_genai_url():
    body = {"model": "gemini", "contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    e = env("vertexai:///generate_content_stream", body)
    assert request_hash(e, "v7") == sha(
        {"method": "POST", "endpoint": "/generate_content_stream", "body": body, "test_id": TID}
    )


# -- id normalization -----------------------------------------------------------


def test_apply_id_normalization_and_hash_uses_aliases():
    orig = "file-5efa8a5a4b414ce98726c4e133a18747"
    body = {"model": "m", "messages": [{"role": "user", "content": f"see {orig} and {orig}"}], orig: "key"}
    e = env(CHAT, body, id_normalization_mapping={"file-1": orig})
    n = apply_id_normalization(e)
    assert n["request"]["body"] == {"model": "m", "messages": [{"role": "user", "content": "see file-1 and file-1"}], "file-1": "key"}
    assert n["id_normalization_mapping"] == {}
    assert e["request"]["body"] is body and orig in body  # original untouched
    aliased = {"model": "m", "messages": [{"role": "user", "content": "see file-1 and file-1"}], "file-1": "key"}
    assert request_hash(e, "v3") == sha({"method": "POST", "endpoint": CHAT_PATH, "body": aliased, "test_id": TID})


def test_apply_id_normalization_keeps_json_escaping_safe():
    # originals made of characters that JSON escapes must not corrupt anything
    e = {"request": {"body": {"a": 'say "x\\y"', "b": "é\n"}}, "id_normalization_mapping": {"Q": '"', "S": "\\", "E": "é", "N": "\n"}}
    n = apply_id_normalization(e)
    assert n["request"]["body"] == {"a": "say QxSyQ", "b": "EN"}


def test_apply_id_normalization_odd_input():
    e = env(CHAT, {"x": 1})
    assert apply_id_normalization(e) is e
    for mapping in (None, [], "x", {}, {"a": None}, {"a": ""}, {1: 2}):
        odd = {"request": {"body": "abc"}, "id_normalization_mapping": mapping}
        assert apply_id_normalization(odd)["request"] == {"body": "abc"}
    assert apply_id_normalization(None) is None
    assert apply_id_normalization([1]) == [1]


# -- names, digests, matching -----------------------------------------------------


def test_name_hash_forms():
    h64 = "a" * 64
    assert name_hash(f"x/y/{'0123456789ab'}.json") == ("0123456789ab", "h12")
    assert name_hash(f"/r/{h64}.json") == (h64, "h64")
    assert name_hash(f"models-{h64}-0123abcd.json") == (h64, "models")
    for bad in ("index.sqlite", "test.txt", "0123456789a.json", f"models-{h64}.json", "ABCDEF012345.json", f"{h64}.json.bak"):
        assert name_hash(bad) is None, bad


def test_model_list_digest():
    ids = ["b", "a", "b", "c"]
    assert model_list_digest(ids) == hashlib.sha256(b"a|b|c").hexdigest()[:8]
    assert model_list_digest(ids, "sha1") == hashlib.sha1(b"a|b|c").hexdigest()[:8]


def test_matching_versions_and_model_digest():
    body = {}
    e = env("http://localhost:11434/v1/models", body, test_id=None)
    e["request"]["endpoint"] = "/v1/models"
    e["response"] = {
        "body": [
            {"__type__": "openai.types.model.Model", "__data__": {"id": "m2", "object": "model"}},
            {"__type__": "openai.types.model.Model", "__data__": {"id": "m1", "object": "model"}},
        ],
        "is_streaming": False,
    }
    h = sha({"method": "POST", "endpoint": "/v1/models", "body": body})
    d = hashlib.sha256(b"m1|m2").hexdigest()[:8]
    assert matching_versions(e, f"dir/models-{h}-{d}.json") == list(VERSIONS)
    assert model_list_digest_matches(e, f"dir/models-{h}-{d}.json") is True
    d1 = hashlib.sha1(b"m1|m2").hexdigest()[:8]
    assert model_list_digest_matches(e, f"dir/models-{h}-{d1}.json") is True
    assert model_list_digest_matches(e, f"dir/models-{h}-00000000.json") is False
    assert model_list_digest_matches(e, f"dir/{h}.json") is None
    # Ollama ListResponse
    tags = env("http://localhost:11434/api/tags", {}, test_id=None)
    tags["request"]["endpoint"] = "/api/tags"
    tags["response"] = {
        "body": {"__type__": "ollama._types.ListResponse", "__data__": {"models": [{"model": "llama3.2:3b"}, {"model": "all-minilm:l6-v2"}]}},
        "is_streaming": False,
    }
    ht = sha({"method": "POST", "endpoint": "/api/tags", "body": {}})
    dt = hashlib.sha256(b"all-minilm:l6-v2|llama3.2:3b").hexdigest()[:8]
    assert model_list_digest_matches(tags, f"models-{ht}-{dt}.json") is True


def test_matching_versions_h12_prefix():
    body = {"model": "m", "temperature": 0.123456789}
    e = env(CHAT, body, test_id=None)
    del e["test_id"]
    full = sha({"method": "POST", "endpoint": CHAT_PATH, "body": body})
    assert matching_versions(e, f"r/{full[:12]}.json") == ["v1"]
    assert matching_versions(e, f"r/{full}.json") == ["v1"]
    assert matching_versions(e, "r/000000000000.json") == []
    assert matching_versions(e, "r/notahash.json") == []


# -- the real corpus -----------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
ERAS = ("2025-08", "2025-10", "2026-02", "2026-05")


def _load(path: Path):
    raw = path.read_bytes()
    try:
        import orjson

        return orjson.loads(raw)
    except Exception:
        return json.loads(raw)


@pytest.fixture(scope="module")
def corpus():
    if not CORPUS.is_dir():
        pytest.skip(f"no corpus at {CORPUS}")
    out = {}
    for era in ERAS:
        files = []
        for p in sorted((CORPUS / era).rglob("*.json")):
            if name_hash(p.name) is None:
                continue
            files.append((p, _load(p)))
        out[era] = files
    return out


@pytest.fixture(scope="module")
def matches(corpus):
    t = time.perf_counter()
    res = {era: [(p, e, matching_versions(e, str(p))) for p, e in files] for era, files in corpus.items()}
    elapsed = time.perf_counter() - t
    return res, elapsed


def test_corpus_per_era_table(matches):
    res, elapsed = matches
    lines = [f"hashed {sum(len(v) for v in res.values())} files x {len(VERSIONS)} versions in {elapsed:.2f}s"]
    for era, rows in res.items():
        counts = collections.Counter()
        for _, _, vs in rows:
            counts.update(vs)
            if not vs:
                counts["none"] += 1
        lines.append(f"{era}: {len(rows)} files; " + " ".join(f"{v}={counts[v]}" for v in (*VERSIONS, "none")))
        assert rows, era
        assert counts["none"] < len(rows), era
    print("\n".join(lines))
    assert elapsed < 5.0, elapsed  # typically ~0.3 s


def test_corpus_known_file_matches(corpus):
    p = CORPUS / "2025-10/tests/integration/responses/recordings/aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96.json"
    if not p.exists():
        pytest.skip("known file absent")
    vs = matching_versions(_load(p), str(p))
    assert vs, "the known gpt-4o tool-call conversation should match some version"


def test_corpus_newest_era_mostly_newest(matches):
    res, _ = matches
    rows = res["2026-05"]
    assert rows
    share = sum(NEWEST in vs for _, _, vs in rows) / len(rows)
    assert share > 0.8, share


def test_corpus_sqlite_era_matches_v1(matches):
    res, _ = matches
    h12 = [(p, vs) for p, _, vs in res["2025-08"] if name_hash(p.name)[1] == "h12"]
    assert h12
    matched = [(p, vs) for p, vs in h12 if vs]
    assert matched
    for p, vs in matched:
        assert "v1" in vs, (p, vs)


def test_corpus_model_list_digests(matches):
    res, _ = matches
    seen = 0
    for rows in res.values():
        for p, e, _ in rows:
            if name_hash(p.name)[1] == "models":
                seen += 1
                assert model_list_digest_matches(e, str(p)) is True, p
    assert seen
