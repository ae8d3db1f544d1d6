"""ConfigError: a functionConfig that cannot be read, with the path of the field at fault."""

from __future__ import annotations


class ConfigError(Exception):
    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path
