"""Hostile input: generated broken, huge, malicious and racing files, and the tests every face must pass on them."""
