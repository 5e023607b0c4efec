"""The one user-facing error type: the CLI prints its message on one line and exits 2."""


class M7Error(Exception):
    """A problem with the user's input or environment, reported as one clear line (no traceback)."""
