"""The Textual face of cassette-tui. Everything it shows comes from the core."""
