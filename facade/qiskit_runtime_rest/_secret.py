"""``Secret``: a credential that never shows itself (repr, str, pickles, tracebacks)."""

from __future__ import annotations

from typing import Any

from ._exceptions import InvalidInputError

__all__ = ["Secret", "credential_problem"]


def credential_problem(value: object) -> str | None:
    """What is wrong with an API key or token, in words that never quote it; None if nothing."""
    if not isinstance(value, str) or not value.strip():
        return "a credential must be a non-empty string"
    if any(char.isspace() or not char.isprintable() for char in value.strip()):
        return (
            "a credential cannot contain spaces, line breaks or control characters "
            "(was it pasted wrapped over several lines?)"
        )
    return None


class Secret:
    """A credential that never shows itself in repr/str; read it with ``get_secret_value()``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        try:
            problem = credential_problem(value)
            if problem is not None:
                raise InvalidInputError(problem)
            self._value = value.strip()
        finally:
            value = ""  # a traceback shows this frame's locals: they must not keep the secret

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        # Pickling would write the secret somewhere nobody decided to write it.
        raise TypeError("Secret cannot be pickled")
