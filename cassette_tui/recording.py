"""One recording file: read it safely, say what it is, reassemble it, summarize it."""

from __future__ import annotations

import functools
import os
import stat
from typing import Any, Self
from urllib.parse import urlparse

from . import envelope
from .conversation import Step, request_steps, response_steps
from .envelope import name_form  # noqa: F401 - re-exported
from .jsonio import JSONProblem, loads
from .model import Result, Summary
from .providers import host_of, infer_provider, provider_from_test_id, provider_from_url  # noqa: F401 - re-exported
from .streams import reassemble, type_label
from .tools import offered_tools

MAX_FILE_BYTES = 256 * 1024 * 1024   # beyond this a file is summarized as too large, never parsed
SEARCH_TEXT_LIMIT = 16_000           # characters of message text kept per recording for bare-word search
SEARCH_STEP_LIMIT = 2_000

_CHAT_PATHS = ("/chat/completions", "/api/chat", "/generate_content", "/generate_content_stream", "/v1/messages", "/messages", "/interactions", "/responses")
_COMPLETION_PATHS = ("/completions", "/api/generate")
_EMBEDDING_PATHS = ("/embeddings", "/api/embeddings", "/api/embed")
_MODEL_PATHS = ("/v1/models", "/api/tags", "/models")

# Problems of access, not of content: a permission fixed without touching the
# file changes no mtime, so these are never trusted from the cache.
_IO_PROBLEMS = ("permission denied", "file not found", "file vanished", "cannot read", "is a directory")


def is_io_problem(problem: str | None) -> bool:
    return problem is not None and problem.startswith(_IO_PROBLEMS)


@functools.lru_cache(maxsize=1024)
def _url_path(url: str) -> str:
    return urlparse(url).path or url


def era_of(path: str, sqlite_dirs: set[str] | None = None) -> str:
    """The repository layout a file sits in (see FORMAT.md, 'Where recordings live').

    `sqlite` and `flat` are the `recordings/responses/<hash>.json` layouts with and
    without an `index.sqlite` beside `responses/`; `per-area` is everything newer.
    `sqlite_dirs` (folders holding an index.sqlite, '/'-separated) spares a stat per file.
    """
    parts = path.replace(os.sep, "/").rsplit("/", 3)
    if len(parts) < 3 or parts[-2] != "responses":
        return "per-area"
    folder = path.replace(os.sep, "/").rsplit("/", 2)[0]
    if sqlite_dirs is None:
        has_sqlite = os.path.exists(os.path.join(folder, "index.sqlite"))
    else:
        has_sqlite = folder in sqlite_dirs
    return "sqlite" if has_sqlite else "flat"


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_all(fd: int, size: int) -> bytes:
    """The whole file: one read when it still has the size fstat gave (no file object needed)."""
    data = os.read(fd, size + 1)
    if len(data) == size:
        return data
    # It grew or shrank since the fstat (being rewritten), or the filesystem returned a short read.
    parts = [data]
    total = len(data)
    while total <= MAX_FILE_BYTES and (more := os.read(fd, 1 << 20)):
        parts.append(more)
        total += len(more)
    return b"".join(parts)


class lazy:  # noqa: N801 - reads like a decorator
    """A cached property without functools.cached_property's per-access lock (Python 3.11)."""

    def __init__(self, fn: Any):
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


class Recording:
    """A recording read from disk or memory. Reading never raises: a bad file has `.problem`."""

    def __init__(self, data: Any, path: str = "<memory>", *, problem: str | None = None, size: int = 0, mtime: float = 0.0, note: str | None = None, mtime_ns: int = 0):
        self.path = path
        self.size = size
        self.mtime = mtime
        self.mtime_ns = mtime_ns   # exact, for the index cache's key (0 when not read from a file)
        self.note = note
        self.problem = problem
        self.data: dict[str, Any] = {}
        if problem is None:
            if not isinstance(data, dict):
                self.problem = f"not a recording: the file holds a JSON {_json_kind(data)}, not an object"
            elif not isinstance(data.get("request"), dict) or not isinstance(data.get("response"), dict):
                missing = [k for k in ("request", "response") if data.get(k) is None]
                wrong = [f"its {k} is a JSON {_json_kind(data[k])}" for k in ("request", "response") if data.get(k) is not None and not isinstance(data[k], dict)]
                self.problem = "not a recording: " + "; ".join(([f"no {' or '.join(missing)} object"] if missing else []) + wrong) + (", not an object" if wrong else "")
            else:
                self.data = _apply_id_normalization(data)

    # --- construction ------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        p = os.fspath(path)
        try:
            # Non-blocking, and checked on the open descriptor: a FIFO named *.json (or a
            # file swapped for one after listing) must not hang the reader, and size and
            # mtime then describe the very file read, not whatever was at the path before.
            fd = os.open(p, _READ_FLAGS)
            try:
                st = os.fstat(fd)
                if stat.S_ISDIR(st.st_mode):
                    return cls(None, p, problem="is a directory")
                if not stat.S_ISREG(st.st_mode):
                    return cls(None, p, problem="not a regular file (a FIFO, socket or device)")
                if st.st_size > MAX_FILE_BYTES:
                    return cls(None, p, problem=f"too large to read ({st.st_size / 2**20:.0f} MiB)", size=st.st_size, mtime=st.st_mtime, mtime_ns=st.st_mtime_ns)
                raw = _read_all(fd, st.st_size)
            finally:
                os.close(fd)
        except FileNotFoundError:
            return cls(None, p, problem="file not found (it may have been removed)")
        except IsADirectoryError:
            return cls(None, p, problem="is a directory")
        except PermissionError:
            return cls(None, p, problem="permission denied")
        except OSError as exc:
            return cls(None, p, problem=f"cannot read: {exc.strerror or exc}")
        rec = cls.from_bytes(raw, p, size=len(raw), mtime=st.st_mtime)
        rec.mtime_ns = st.st_mtime_ns
        return rec

    @classmethod
    def from_bytes(cls, raw: bytes, path: str = "<memory>", *, size: int | None = None, mtime: float = 0.0) -> Self:
        try:
            data, note = loads(raw)
        except JSONProblem as exc:
            return cls(None, path, problem=str(exc), size=len(raw) if size is None else size, mtime=mtime)
        return cls(data, path, size=len(raw) if size is None else size, mtime=mtime, note=note)

    # --- what it is --------------------------------------------------------------------

    @property
    def stem(self) -> str:
        name = os.path.basename(self.path)
        return name[:-5] if name.endswith(".json") else name

    @property
    def id(self) -> str:
        return self.stem

    @lazy
    def request(self) -> dict[str, Any]:
        return self.data.get("request") or {}

    @lazy
    def response(self) -> dict[str, Any]:
        return self.data.get("response") or {}

    @lazy
    def test_id(self) -> str | None:
        return _test_id_of(self.data, self.request)

    @lazy
    def body(self) -> dict[str, Any]:
        """The request's arguments: inference `body`, passthrough `payload`, tool `kwargs`."""
        return _body_of(self.request)

    @lazy
    def request_kind(self) -> str:
        return envelope.request_kind(self.request)

    @lazy
    def url(self) -> str:
        u = self.request.get("url")
        return u if isinstance(u, str) else ""

    @lazy
    def endpoint(self) -> str | None:
        return _endpoint_of(self.request, self.url, self.request_kind)

    @lazy
    def model(self) -> str | None:
        return _model_of(self.request, self.body)

    @lazy
    def provider(self) -> str | None:
        return _provider_of(self.request, self.request_kind, self.test_id, self.url, self.response, self.kind)

    @lazy
    def host(self) -> str | None:
        """The raw host the request went to ('api.openai.com', 'localhost:8000'), if it had a URL."""
        return host_of(self.url)

    @property
    def streaming(self) -> bool:
        return _streaming(self.kind, self.response)

    @property
    def chunks(self) -> list[Any]:
        """The streamed chunks (SSE lines for passthroughs); empty when not streamed."""
        body = self.response.get("body")
        return body if isinstance(body, list) and self.kind != "models" else []

    @property
    def chunk_count(self) -> int:
        """How many chunks were streamed: SSE events, not their text lines; 0 for a model list."""
        return _chunk_count(self.response.get("body"), self.kind, self.result)

    @lazy
    def kind(self) -> str:
        if self.problem:
            return "invalid"
        return _kind_of(self.request_kind, self.endpoint, self.body, self.response)

    @property
    def era(self) -> str:
        return era_of(self.path) if self.path != "<memory>" else ""

    # --- reassembly and conversation ---------------------------------------------------

    @lazy
    def result(self) -> Result:
        if self.problem:
            return Result("invalid")
        return reassemble(self.response, self.body)

    def request_steps(self) -> list[Step]:
        return request_steps(self.request) if not self.problem else []

    def steps(self) -> list[Step]:
        """This recording's conversation: what the request sent, then the response's new steps."""
        return self.request_steps() + response_steps(self.result)

    def tools_offered(self) -> list[str]:
        return list(offered_tools(self.body))

    def message_count(self) -> int:
        return _message_count(self.body)

    # --- the index row -----------------------------------------------------------------

    def summary(self, rel_path: str | None = None, era: str | None = None) -> Summary:
        """The index row. Pass `era` when the caller knows it (the index does, without a stat)."""
        rel = rel_path if rel_path is not None else self.path
        if self.problem:
            return Summary(id=self.id, path=rel, kind="invalid", size=self.size, mtime=self.mtime, problem=self.problem)
        # Written for speed: the index calls this once per file of a cold scan, so the
        # lazy attributes are bypassed for the same functions called directly.
        data = self.data
        req = data.get("request") or {}
        response = data.get("response") or {}
        body = _body_of(req)
        test_id = _test_id_of(data, req)
        request_kind = envelope.request_kind(req)
        url = req.get("url")
        url = url if isinstance(url, str) else ""
        endpoint = _endpoint_of(req, url, request_kind)
        kind = _kind_of(request_kind, endpoint, body, response)
        # Reuse a full reassembly if one exists; otherwise skip the per-chunk events.
        result = self.__dict__.get("result") or reassemble(response, body, events=False)
        req_steps = request_steps(req)
        offered = tuple(offered_tools(body))
        calls = result.tool_calls
        called = tuple([t.name or "?" for t in calls]) if calls else ()
        anomalies = result.anomalies
        step_kinds = {s.kind for s in req_steps}
        flags = []
        if offered or called:
            flags.append("tools")
        if result.error:
            flags.append("error")
        if "reasoning" in step_kinds or any(c.reasoning for c in result.choices):
            flags.append("reasoning")
        if "image" in step_kinds:
            flags.append("image")
        if anomalies:
            flags.append("anomaly")
        chunks = response.get("body")
        return Summary(
            id=self.id,
            path=rel,
            test_id=test_id,
            kind=kind,
            endpoint=endpoint,
            model=_model_of(req, body),
            provider=_provider_of(req, request_kind, test_id, url, response, kind),
            streaming=_streaming(kind, response),
            chunks=_chunk_count(chunks, kind, result),
            finish_reason=result.finish_reason,
            tool_calls=called,
            tools=offered,
            messages=_message_count(body),
            size=self.size,
            mtime=self.mtime,
            flags=tuple(flags),
            anomalies=tuple(dict.fromkeys([a.code for a in anomalies])) if anomalies else (),
            era=self.era if era is None else era,
            text=_search_text(req_steps, result),
            host=host_of(url),
            finish=result.finish,
        )

    def __repr__(self) -> str:
        return f"<Recording {self.id[:16]} {self.kind} {self.model or ''}>"


# --- what a recording is: plain functions, shared by the lazy attributes and summary() ---


def _test_id_of(data: dict[str, Any], req: dict[str, Any]) -> str | None:
    t = data.get("test_id")
    if t is None:
        t = req.get("test_id")
    return t if isinstance(t, str) else None


def _body_of(req: dict[str, Any]) -> dict[str, Any]:
    for key in ("body", "payload", "kwargs"):
        value = req.get(key)
        if isinstance(value, dict):
            return value
    return {}


def _endpoint_of(req: dict[str, Any], url: str, request_kind: str) -> str | None:
    ep = req.get("endpoint")
    if isinstance(ep, str) and ep:
        return ep
    if url:
        return _url_path(url)
    if request_kind == "tool":
        return f"tool:{req.get('tool_name')}"
    if request_kind == "file":
        return "file_processors"
    return None


def _model_of(req: dict[str, Any], body: dict[str, Any]) -> str | None:
    for value in (req.get("model"), body.get("model")):
        if isinstance(value, str) and value:
            return value
    return None


def _provider_of(req: dict[str, Any], request_kind: str, test_id: str | None, url: str, response: dict[str, Any], kind: str) -> str | None:
    if request_kind in ("tool", "file") and isinstance(req.get("provider"), str):
        return req["provider"]
    first = response.get("body")
    first = first[0] if isinstance(first, list) and first else first
    return infer_provider(url, req.get("provider_metadata"), first, test_id, model_list=kind == "models")


def _kind_of(request_kind: str, endpoint: str | None, body: dict[str, Any], response: dict[str, Any]) -> str:
    if request_kind in ("tool", "file"):
        return request_kind
    if request_kind == "unknown":
        return "unknown"
    path = (endpoint or "").rstrip("/")
    first = response.get("body")
    first = first[0] if isinstance(first, list) and first else first
    label = type_label(first)
    if path.endswith(_MODEL_PATHS) or label in ("Model", "ListResponse"):
        return "models"
    if "messages" in body or "contents" in body or path.endswith(_CHAT_PATHS) or label in ("ChatCompletion", "ChatCompletionChunk", "ChatResponse"):
        return "chat"
    if path.endswith(_EMBEDDING_PATHS) or "Embed" in label:
        return "embeddings"
    if path.endswith(_COMPLETION_PATHS) or label in ("Completion", "GenerateResponse"):
        return "completion"
    if path.endswith("/rerank") or isinstance(first, dict) and isinstance(first.get("results"), list):
        return "rerank"
    if path.startswith("/api/"):
        return "admin"
    return "http" if request_kind == "http" else "unknown"


def _streaming(kind: str, response: dict[str, Any]) -> bool:
    # A model list is recorded as a list with is_streaming true, but nothing was streamed.
    if kind == "models":
        return False
    return bool(response.get("is_streaming")) or isinstance(response.get("body"), list)


def _chunk_count(chunks: Any, kind: str, result: Result) -> int:
    if not isinstance(chunks, list) or kind == "models":
        return 0
    if chunks and isinstance(chunks[0], str):
        return result.chunks   # SSE lines: the reader counted their events
    return len(chunks)


def _message_count(body: dict[str, Any]) -> int:
    for key in ("messages", "contents", "input"):
        if isinstance(body.get(key), list):
            return len(body[key])
    return 1 if any(isinstance(body.get(k), str) for k in ("prompt", "input", "contents", "query")) else 0


def _search_text(steps: list[Step], result: Result) -> str:
    parts: list[str] = []
    total = 0
    for text in [s.text for s in steps] + [result.text, result.reasoning, result.output] + [t.name or "" for t in result.tool_calls]:
        if not text:
            continue
        if not isinstance(text, str):   # odd JSON (a number where text goes) must not break the index
            text = str(text)
        piece = text[:SEARCH_STEP_LIMIT]
        parts.append(piece)
        total += len(piece)
        if total > SEARCH_TEXT_LIMIT:
            break
    return "\n".join(parts)[:SEARCH_TEXT_LIMIT].lower()


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}.get(type(value), type(value).__name__)


def _apply_id_normalization(data: dict[str, Any]) -> dict[str, Any]:
    mapping = data.get("id_normalization_mapping")
    if not isinstance(mapping, dict) or not mapping:
        return data
    try:
        from .hashing import apply_id_normalization
    except ImportError:  # pragma: no cover - hashing lands alongside
        return data
    try:
        return apply_id_normalization(data)
    except Exception:  # noqa: BLE001 - a bad mapping must not make the file unreadable
        return data
