"""Errors of the use cases; the API turns them into problem documents."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
