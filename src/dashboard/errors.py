"""Errors shown to users. Messages are Swedish and say what is wrong and where."""
from __future__ import annotations


class ValrummetError(Exception):
    """Base class: a problem the user can fix, with a message fit to show as is."""


class SourceFileError(ValrummetError):
    """A raw/official file is missing or not in the expected shape."""

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"Fel i källfilen {self.path}: {problem}")


class QueryError(ValrummetError):
    """Unknown query or a missing/bad parameter."""
