"""Which provider served a recording, from the strongest evidence the file holds.

Evidence, strongest first: the URL's host when it is a known one (a table below),
`provider_metadata` (a server version names its server), the response itself
(`__type__` module, `system_fingerprint`, a model's `owned_by`), the test id's
`txt=<provider>/` token, and last a local server's default port. Model lists are
recorded once and replayed by every test, so their test id says nothing about the
server and is never used for them. An unknown host is no provider name: it stays
available as the raw `host`.
"""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import urlparse

# Host -> provider. An entry starting with '.' matches that suffix; 'bedrock' any host holding it.
KNOWN_HOSTS: tuple[tuple[str, str], ...] = (
    ("api.openai.com", "openai"),
    (".openai.azure.com", "azure"),
    (".cognitiveservices.azure.com", "azure"),
    (".services.ai.azure.com", "azure"),
    ("generativelanguage.googleapis.com", "gemini"),
    ("aiplatform.googleapis.com", "vertexai"),
    ("api.anthropic.com", "anthropic"),
    ("api.cerebras.ai", "cerebras"),
    ("api.together.xyz", "together"),
    ("api.together.ai", "together"),
    ("api.fireworks.ai", "fireworks"),
    ("api.groq.com", "groq"),
    ("api.mistral.ai", "mistral"),
    ("api.deepseek.com", "deepseek"),
    ("api.sambanova.ai", "sambanova"),
    ("openrouter.ai", "openrouter"),
    ("integrate.api.nvidia.com", "nvidia"),
    ("ai.api.nvidia.com", "nvidia"),
    (".ml.cloud.ibm.com", "watsonx"),
    (".databricks.com", "databricks"),
    (".azuredatabricks.net", "databricks"),
    ("bedrock", "bedrock"),   # bedrock-runtime.<region>.amazonaws.com, bedrock-mantle.<region>.api.aws
)
# Local servers on their default port: Ollama's is its own; 8000 is only vLLM's usual one.
_OLLAMA_PORT = 11434
_WEAK_PORTS = {8000: "vllm"}
# provider_metadata keys that name the server (openai_sdk_version names only the client).
_METADATA_KEYS = (("vllm_server_version", "vllm"), ("tgi_server_version", "tgi"), ("ollama_sdk_version", "ollama"), ("ollama_server_version", "ollama"))
# A model's `owned_by` that only one server writes.
_OWNERS = {"vllm": "vllm", "library": "ollama"}
# TGI writes its version as the system fingerprint: "2.4.1-sha-0ff6ff6" or "3.0.1-native".
_TGI_FINGERPRINT = re.compile(r"^\d+\.\d+\.\d+-(?:sha-[0-9a-f]+|native)$")
# `txt=openai/gpt-4o` style tokens inside a test id's brackets name the provider under test.
_PROVIDER_TOKEN = re.compile(r"(?:^|[\[\-_])(?:txt|emb|vis|vision|embedding|rerank|shield|safety|model)=([A-Za-z0-9_.]+)/")


@functools.lru_cache(maxsize=4096)
def provider_from_test_id(test_id: str | None) -> str | None:
    if not test_id:
        return None
    m = _PROVIDER_TOKEN.search(test_id)
    return m.group(1).lower() if m else None


@functools.lru_cache(maxsize=1024)
def host_of(url: str | None) -> str | None:
    """The URL's host with its port ('api.openai.com', 'localhost:8000'), or None."""
    if not url or "://" not in url:
        return None
    try:
        netloc = urlparse(url).netloc
    except ValueError:
        return None
    return netloc.rsplit("@", 1)[-1].lower() or None


@functools.lru_cache(maxsize=1024)
def provider_from_url(url: str | None) -> str | None:
    """The provider a URL names for sure: a known host, Ollama's port, or a SDK's pseudo-URL."""
    if not url:
        return None
    if url.startswith("vertexai:"):
        return "vertexai"
    if url.startswith("__databricks__"):
        return "databricks"
    host = host_of(url)
    if not host:
        return None
    name, _, port = host.rpartition(":") if host.rsplit(":", 1)[-1].isdigit() else (host, "", "")
    for known, provider in KNOWN_HOSTS:
        if name == known or (known.startswith(".") and name.endswith(known)) or (known == "bedrock" and "bedrock" in name):
            return provider
    if port == str(_OLLAMA_PORT):
        return "ollama"
    return None


def _port_guess(url: str) -> str | None:
    host = host_of(url) or ""
    port = host.rsplit(":", 1)[-1]
    return _WEAK_PORTS.get(int(port)) if port.isdigit() else None


def provider_from_metadata(meta: Any) -> str | None:
    if not isinstance(meta, dict):
        return None
    if isinstance(meta.get("provider"), str) and meta["provider"]:
        return meta["provider"]
    for key, provider in _METADATA_KEYS:
        if meta.get(key):
            return provider
    return None


def provider_from_response(first: Any) -> str | None:
    """What the first response object gives away: its class's module, fingerprint or owner."""
    if not isinstance(first, dict):
        return None
    label = first.get("__type__")
    if isinstance(label, str) and label.startswith("ollama."):
        return "ollama"
    data = first.get("__data__") if "__type__" in first else first
    if not isinstance(data, dict):
        return None
    fingerprint = data.get("system_fingerprint")
    if isinstance(fingerprint, str):
        if fingerprint == "fp_ollama":
            return "ollama"
        if _TGI_FINGERPRINT.match(fingerprint):
            return "tgi"
    owner = data.get("owned_by")
    return _OWNERS.get(owner) if isinstance(owner, str) else None


def infer_provider(url: str, meta: Any, first: Any, test_id: str | None, *, model_list: bool) -> str | None:
    """The provider of an inference or passthrough recording, strongest evidence first."""
    return (
        provider_from_url(url)
        or provider_from_metadata(meta)
        or provider_from_response(first)
        or (None if model_list and host_of(url) else provider_from_test_id(test_id))
        or _port_guess(url)
    )
