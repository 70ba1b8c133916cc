"""Fake rclpy.node.Node: records publishers, subscriptions, timers and parameter callbacks."""
import inspect
import os
import types


class Logger:
    """Records (level, text); like rclpy's RcutilsLogger, one call site keeps one severity."""

    def __init__(self, name):
        self.name, self.lines, self.contexts = name, [], {}

    def get_effective_level(self):
        return 20

    def _log(self, level, text):
        frame = inspect.currentframe()
        while frame is not None and frame.f_code.co_filename == __file__:
            frame = frame.f_back      # rclpy: the first caller outside rclpy
        caller = (frame.f_code.co_name, os.path.abspath(frame.f_code.co_filename),
                  frame.f_lineno, frame.f_lasti)
        if self.contexts.setdefault(caller, level) != level:
            raise ValueError('Logger severity cannot be changed between calls.')
        self.lines.append((level, text))

    def debug(self, text, **_kw):
        self._log('DEBUG', text)

    def info(self, text, **_kw):
        self._log('INFO', text)

    def warning(self, text, **_kw):
        self._log('WARN', text)

    def error(self, text, **_kw):
        self._log('ERROR', text)

    def fatal(self, text, **_kw):
        self._log('FATAL', text)


class Publisher:
    def __init__(self, topic, qos):
        self.topic, self.qos, self.sent = topic, qos, []

    def publish(self, msg):
        self.sent.append(msg)


class Node:
    def __init__(self, name, parameter_overrides=None, **_kw):
        self.overrides = {p.name: p.value for p in (parameter_overrides or [])}
        self.pubs, self.subs, self.timers, self.param_callbacks = {}, {}, [], []
        self.logger = Logger(name)

    def declare_parameter(self, name, value, descriptor=None):
        return types.SimpleNamespace(value=self.overrides.get(name, value), descriptor=descriptor)

    def create_publisher(self, kind, topic, qos):
        self.pubs[topic] = Publisher(topic, qos)
        return self.pubs[topic]

    def create_subscription(self, kind, topic, callback, qos):
        self.subs[topic] = types.SimpleNamespace(kind=kind, callback=callback, qos=qos)
        return self.subs[topic]

    def create_timer(self, period, callback):
        self.timers.append((period, callback))

    def add_on_set_parameters_callback(self, callback):
        self.param_callbacks.append(callback)

    def get_logger(self):
        return self.logger

    def get_clock(self):
        return types.SimpleNamespace(now=lambda: types.SimpleNamespace(nanoseconds=1))

    def destroy_node(self):
        self.destroyed = True
