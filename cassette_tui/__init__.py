"""cassette-tui: read, search and debug llama-stack / ogx API recordings."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
