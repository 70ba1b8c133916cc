"""Debian's php-cli for the Laravel guide's tests: present, or a failure saying how to get it."""

from __future__ import annotations

import shutil

import pytest


def php_binary() -> str:
    """Path of ``php``; fails the test (never skips) if missing: scripts/setup installs it."""
    php = shutil.which('php')
    if php is None:
        pytest.fail(
            'php is not installed, so the PHP of docs/laravel cannot be checked: scripts/setup'
            ' installs it (Debian package php-cli; or: apt-get install php-cli)'
        )
    return php
