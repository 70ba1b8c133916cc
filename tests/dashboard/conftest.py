"""Dashboard test fixtures: the demo stack on the test's Soketi, and a headless chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rvm_bringup.demo_stack import DemoStack

from .browser import Browser

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / 'var' / 'artifacts' / 'dashboard'


@pytest.fixture
def demo(soketi):
    """DemoStack (dashboard + Laravel-like endpoints) on the test's Soketi, which it may kill."""
    stack = DemoStack(REPO_ROOT, soketi=soketi, rvm_id='rvm-demo')
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
def browser(request):
    """A headless Debian chromium; teardown saves a page screenshot in var/artifacts/dashboard/."""
    with Browser() as b:
        yield b
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)
        try:
            b.call('screenshot', path=str(ARTIFACTS / f'{name}.png'))
        except AssertionError:
            pass    # the page may be gone already; the test's own outcome stands
