"""People and permissions for `serve`: a users file of names, roles and hashed tokens.

The file is JSON: `{"users": [{"name": "ana", "role": "reviewer", "token_sha256": "…"}]}`.
Tokens are 32 random bytes, so a plain SHA-256 of each is enough to keep them unguessable from
the file (a slow password hash is for low-entropy secrets people choose). Readers read;
reviewers also correct labels and run analyses; admins also undo others' corrections. Without a
users file the app has one user, `LOCAL`, who may do everything (loopback, or one shared token).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from fastapi import HTTPException, Request


class Role(IntEnum):
    """What a user may do; each role may do everything the ones below it may."""

    READER = 1
    REVIEWER = 2
    ADMIN = 3

    @classmethod
    def named(cls, name: str) -> Role:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            choices = ", ".join(r.name.lower() for r in cls)
            raise ValueError(f"unknown role {name!r} (one of {choices})") from None


@dataclass(frozen=True, slots=True)
class User:
    """Who made a request, and what they may do."""

    name: str
    role: Role


LOCAL = User("local", Role.ADMIN)
"""The one user of an app served without a users file."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class _Entry:
    user: User
    token_sha256: str


class Users:
    """The users file, read once when the app starts."""

    def __init__(self, entries: list[_Entry], path: Path | None = None) -> None:
        self.entries, self.path = entries, path

    @classmethod
    def load(cls, path: Path, *, create: bool = False) -> Users:
        """Read a users file; a missing or malformed one is an error naming the file.

        `create`: a missing file is an empty list of users (`narrascope users add` makes it).
        """
        if not path.is_file():
            if create:
                return cls([], path)
            raise FileNotFoundError(f"no users file at {path} (make one: narrascope users add)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = [
                _Entry(User(str(u["name"]), Role.named(str(u["role"]))), str(u["token_sha256"]))
                for u in data["users"]
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a Narrascope users file ({exc})") from exc
        return cls(entries, path)

    def find(self, token: str) -> User | None:
        """The user whose token this is, if any (compared in constant time)."""
        given = token_hash(token)
        found = None
        for entry in self.entries:
            if hmac.compare_digest(given, entry.token_sha256):
                found = entry.user
        return found

    def add(self, name: str, role: Role) -> str:
        """Add (or give a new token to) `name`; save; return the token, shown only this once."""
        if self.path is None:
            raise ValueError("these users have no file to save to")
        name = name.strip()
        if not name or len(name) > 128:
            raise ValueError("a user name is 1 to 128 characters")
        token = secrets.token_urlsafe(32)
        kept = [e for e in self.entries if e.user.name != name]
        self.entries = [*kept, _Entry(User(name, role), token_hash(token))]
        data = {
            "users": [
                {
                    "name": e.user.name,
                    "role": e.user.role.name.lower(),
                    "token_sha256": e.token_sha256,
                }
                for e in self.entries
            ]
        }
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)
        return token


def current_user(request: Request) -> User:
    """The user the app's guard recognised for this request (`LOCAL` without a users file)."""
    return getattr(request.state, "user", LOCAL)


def require(request: Request, role: Role, what: str) -> User:
    """The request's user, if they hold `role`; else a 403 naming what they may not do."""
    user = current_user(request)
    if user.role < role:
        raise HTTPException(403, f"{user.name} is a {user.role.name.lower()} and cannot {what}")
    return user


def server_token(token: str | None, token_file: Path | None) -> str | None:
    """The one token `serve` requires: given, or read from the first line of `token_file`.

    Raises ValueError for an unreadable file or an empty token, which would let anyone in (#18).
    """
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the token file {token_file}: {exc}") from exc
    if token is not None and not token.strip():
        raise ValueError("an empty token would let anyone in: give a real one, or none on loopback")
    return token
