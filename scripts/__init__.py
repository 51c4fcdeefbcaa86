"""Command-line entry points; `zcgp <command>` and `python scripts/<file>.py` behave the same."""
