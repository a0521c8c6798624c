"""Static tokens: kube-apiserver's ``--token-auth-file``.

A CSV file, one token a line: ``token,user,uid,"group1,group2"`` (at least three columns;
more are ignored; groups split on commas). As kube's ``tokenfile.NewCSV``: a line with fewer
than three columns makes the whole file invalid, an empty token is skipped, and a token
listed twice is the last line's. Checking a token is one dict lookup.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from setpoint.apiserver.registry.admission import UserInfo

__all__ = ["StaticTokens", "load_token_file"]

log = logging.getLogger(__name__)
AUTHENTICATED = "system:authenticated"


class StaticTokens:
    """Bearer tokens known in advance: the token file's and the administrator's."""

    def __init__(self, tokens: dict[str, UserInfo] | None = None) -> None:
        self.tokens: dict[str, UserInfo] = {}
        for token, user in (tokens or {}).items():
            self.add(token, user)

    def add(self, token: str, user: UserInfo) -> None:
        """Accept ``token`` as ``user`` (who also gets ``system:authenticated``, as every authenticated user)."""
        if AUTHENTICATED not in user.groups:
            user = UserInfo(user.name, (*user.groups, AUTHENTICATED), user.uid, user.extra)
        self.tokens[token] = user

    def authenticate_token(self, token: str) -> UserInfo | None:
        return self.tokens.get(token)


def load_token_file(path: Path) -> dict[str, UserInfo]:
    """The tokens of a kube static token file; :class:`ValueError` (kube's message) if it is malformed."""
    tokens: dict[str, UserInfo] = {}
    try:
        with open(path, newline="", encoding="utf-8") as f:
            records = list(csv.reader(f, strict=True))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"token file '{path}': {exc}") from None
    number = 0
    for record in records:
        if not record:
            continue
        if len(record) < 3:
            raise ValueError(f"token file '{path}' must have at least 3 columns (token, user name, user uid), "
                             f"found {len(record)}")
        number += 1
        if not record[0]:
            log.warning("empty token has been found in token file '%s', record number '%d'", path, number)
            continue
        if record[0] in tokens:
            log.warning("duplicate token has been found in token file '%s', record number '%d'", path, number)
        groups = tuple(record[3].split(",")) if len(record) >= 4 else ()
        tokens[record[0]] = UserInfo(record[1], groups, record[2])
    return tokens
