"""The errors use cases raise. Service layers know nothing of HTTP: the
platform answers each of these, at one place, with an RFC 9457 problem
document (:func:`regua_platform.problems.install_problem_handlers`)."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A use case refused: ``detail`` says why, in words an integrator can act on."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        #: Extra members of the problem document (``errors``, ``reason`` ...).
        self.extensions = extensions


class InvalidInput(DomainError):
    """The request is malformed in a way its schema cannot say (a bad cursor, say)."""


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The state changed under the request, or it repeats another differently."""

    status = 409
    title = "Conflict"


class RuleViolated(DomainError):
    """Well-formed, but a business rule forbids it."""

    status = 422
    title = "Rule violated"
