"""A stand-in for rclpy's ``RcutilsLogger`` that enforces its call-site rule.

rclpy (``rclpy/impl/rcutils_logger.py``, Humble) keys a logging context by the first caller
outside rclpy - ``CallerId(function_name, file_path, line_number, last_index)`` - and raises
``ValueError('Logger severity cannot be changed between calls.')`` when that call site logs
at another severity than the first time.  This fake applies the same rule (its own file plays
rclpy's part) and records what got through.
"""
from __future__ import annotations

import inspect
import os

SEVERITIES = {'debug': 10, 'info': 20, 'warning': 30, 'error': 40, 'fatal': 50}


class CallSiteLogger:
    """Records ``(method, text)``; raises like rclpy when one call site changes severity."""

    def __init__(self, level: int = 20) -> None:
        self.level = level
        self.records: list[tuple[str, str]] = []
        self.contexts: dict[tuple, str] = {}

    def get_effective_level(self) -> int:
        return self.level

    def _caller(self) -> tuple:
        frame = inspect.currentframe()
        here = os.path.abspath(__file__)
        while frame is not None and os.path.abspath(frame.f_code.co_filename) == here:
            frame = frame.f_back
        assert frame is not None
        return (frame.f_code.co_name, os.path.abspath(frame.f_code.co_filename),
                frame.f_lineno, frame.f_lasti)

    def _log(self, method: str, text: str) -> bool:
        caller = self._caller()
        known = self.contexts.setdefault(caller, method)
        if known != method:
            raise ValueError('Logger severity cannot be changed between calls.')
        if SEVERITIES[method] < self.level:
            return False
        self.records.append((method, text))
        return True

    def debug(self, text: str, **_kw) -> bool:
        return self._log('debug', text)

    def info(self, text: str, **_kw) -> bool:
        return self._log('info', text)

    def warning(self, text: str, **_kw) -> bool:
        return self._log('warning', text)

    def error(self, text: str, **_kw) -> bool:
        return self._log('error', text)

    def fatal(self, text: str, **_kw) -> bool:
        return self._log('fatal', text)
