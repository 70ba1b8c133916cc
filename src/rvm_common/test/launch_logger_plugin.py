"""pytest plugin (``-p launch_logger_plugin``) putting logging where a ROS 2 Humble machine has it.

* ROS's launch_testing plugin imports ``launch.logging``, which installs ``LaunchLogger``: every
  logger created afterwards has ``propagate = False``.
* Humble's pytest (6.2) attaches caplog's handler to the root logger only; pytest >= 8 also
  attaches it to loggers that do not propagate, which hides the problem here - so this plugin
  takes it off them again before each test body runs.
"""
import logging

import pytest


class NoPropagateLogger(logging.getLoggerClass()):
    """Like launch.logging.LaunchLogger (Humble): propagate = False on every new logger."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.propagate = False


logging.setLoggerClass(NoPropagateLogger)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            for handler in list(logger.handlers):
                if type(handler).__name__ == 'LogCaptureHandler':
                    logger.removeHandler(handler)
    yield
