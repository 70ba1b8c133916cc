"""Logging that never shows secrets: URLs lose query and credentials, tokens and signatures go.

Pusher auth signatures (``auth_signature=…``, ``"auth": "key:sig"``), Bearer tokens and
passwords in URLs would otherwise reach the console and log files through library
warnings (requests, websocket-client) that print full URLs.  :class:`RedactingFormatter`
applies :func:`redact` to every formatted record, exception text included.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

MAX_PATH = 60
_URL = re.compile(r'\b(?:https?|wss?)://[^\s\'"<>)]+')
_SECRETS = [
    (re.compile(r'(?i)\b(auth_signature|auth_key|signature|access_token|token|secret|password|'
                r'app_secret)=[^&\s\'"]+'), r'\1=***'),
    (re.compile(r"(?i)\bBearer\s+([^\s'\",;)]+)"), lambda m: _bearer(m)),
    (re.compile(r'(?i)(["\']auth["\']\s*:\s*["\'])[^"\']+'), r'\1***'),
    (re.compile(r'(?i)(["\']channel_data["\']\s*:\s*["\'])[^"\']{40,}'), r'\1…'),
]


def _bearer(match: re.Match) -> str:
    """``Bearer ***`` for a credential; a plain word ("Bearer token") is no secret and stays."""
    value = match.group(1)
    if value.isalpha() and len(value) < 20:
        return match.group(0)
    return match.group(0)[:-len(value)] + '***'


def shorten_url(url: str) -> str:
    """``scheme://host[:port]/path``, no credentials; a query becomes ``?…``; long paths cut."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ''
        port = f':{parts.port}' if parts.port else ''
    except ValueError:
        return url.split('?', 1)[0][:MAX_PATH]
    path = parts.path if len(parts.path) <= MAX_PATH else parts.path[:MAX_PATH - 1] + '…'
    return f'{parts.scheme}://{host}{port}{path}' + ('?…' if parts.query else '')


def redact(text: str) -> str:
    """``text`` with every URL shortened and every known secret pattern replaced by ``***``."""
    text = _URL.sub(lambda m: shorten_url(m.group(0)), text)
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message and traceback) went through :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def install(
    level: int = logging.WARNING, fmt: str = '%(asctime)s %(levelname)s %(name)s: %(message)s',
    stream=None,
) -> logging.Handler:
    """Configure the root logger with one redacting stream handler (replacing earlier ones)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(fmt))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
