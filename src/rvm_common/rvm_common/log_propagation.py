"""Keep rvm-edge log records reaching the root logger (pytest's caplog) under ROS's plugins.

Where ROS 2 is installed, pytest auto-loads the launch_testing / launch_ros plugins, which
import ``launch.logging``; that installs ``LaunchLogger`` as the logger class, and every
logger created afterwards has ``propagate = False`` - so caplog (a handler on the root logger)
sees nothing.  :func:`propagating_rvm_loggers` restores propagation of our loggers for a block
(the conftests wrap every test in it) and puts everything back afterwards.
"""
from __future__ import annotations

import contextlib
import logging
from typing import Iterator

PREFIXES = ('rvm_', 'rvm-', 'rvm.', 'support')


def _ours(name: str) -> bool:
    return name == 'rvm' or name.startswith(PREFIXES)


class _PropagatingLogger(logging.Logger):
    """Mixed into the installed logger class while the block runs: ``rvm*`` loggers propagate."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if _ours(self.name):
            self.propagate = True


@contextlib.contextmanager
def propagating_rvm_loggers() -> Iterator[None]:
    """Within the block, every ``rvm*`` logger (existing or new) propagates to the root logger."""
    saved = []
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and _ours(name) and not logger.propagate:
            saved.append(logger)
            logger.propagate = True
    previous_class = logging.getLoggerClass()
    if not issubclass(previous_class, _PropagatingLogger):
        # loggers first created inside the block (lazy imports) keep the installed class's
        # behaviour, except that ours propagate
        logging.setLoggerClass(type('PropagatingLogger', (_PropagatingLogger, previous_class), {}))
    try:
        yield
    finally:
        logging.setLoggerClass(previous_class)
        for logger in saved:
            logger.propagate = False
