"""Fake rclpy.node.Node: records publishers, subscriptions, timers and parameter callbacks."""
import collections
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
    """The parts of rclpy.node.Node the adapters use.  Parameters follow rclpy Humble's rules
    (``Node._set_parameters``): one parameter at a time; an undeclared one raises; a read-only
    descriptor or another type than the declared one is refused before the callbacks run; the
    callbacks (newest first) may refuse; otherwise the value is stored."""

    #: publishers per topic of every fake node in this process (the ROS graph)
    graph = collections.Counter()

    def __init__(self, name, parameter_overrides=None, **_kw):
        self.name = name
        self.overrides = {p.name: p.value for p in (parameter_overrides or [])}
        self.pubs, self.subs, self.timers, self.param_callbacks = {}, {}, [], []
        self.parameters, self.descriptors = {}, {}
        self.logger = Logger(name)

    def get_name(self):
        return self.name

    def declare_parameter(self, name, value, descriptor=None):
        if name in self.parameters:
            raise RuntimeError(f'parameter {name} declared twice')
        value = self.overrides.get(name, value)
        self.parameters[name] = value
        self.descriptors[name] = descriptor
        return types.SimpleNamespace(value=value, descriptor=descriptor)

    def get_parameter(self, name):
        return types.SimpleNamespace(name=name, value=self.parameters[name])

    def describe_parameter(self, name):
        return self.descriptors[name]

    def set_parameters(self, parameters):
        results = []
        for param in parameters:
            if param.name not in self.parameters:
                raise RuntimeError(f'ParameterNotDeclaredException: {param.name}')
            descriptor = self.descriptors[param.name]
            old = self.parameters[param.name]
            if descriptor is not None and getattr(descriptor, 'read_only', False):
                results.append(_result(False, f'Trying to set a read-only parameter: '
                                              f'{param.name}.'))
                continue
            dynamic = descriptor is not None and getattr(descriptor, 'dynamic_typing', False)
            if not dynamic and type(param.value) is not type(old):
                results.append(_result(False, f'Wrong parameter type, expected '
                                              f'{type(old).__name__} got '
                                              f'{type(param.value).__name__}'))
                continue
            result = _result(True, '')
            for callback in reversed(self.param_callbacks):   # rclpy: insert(0, callback)
                result = callback([param])
                if not result.successful:
                    break
            if result.successful:
                self.parameters[param.name] = param.value
            results.append(result)
        return results

    def create_publisher(self, kind, topic, qos):
        publisher = Publisher(topic, qos)
        self.pubs[topic] = publisher
        Node.graph[topic] += 1
        return publisher

    def destroy_publisher(self, publisher):
        if self.pubs.get(publisher.topic) is publisher:
            del self.pubs[publisher.topic]
            Node.graph[publisher.topic] -= 1

    def count_publishers(self, topic):
        return Node.graph[topic]

    def create_subscription(self, kind, topic, callback, qos):
        self.subs[topic] = types.SimpleNamespace(kind=kind, callback=callback, qos=qos,
                                                 topic=topic)
        return self.subs[topic]

    def destroy_subscription(self, subscription):
        if self.subs.get(subscription.topic) is subscription:
            del self.subs[subscription.topic]

    def create_timer(self, period, callback):
        timer = (period, callback)
        self.timers.append(timer)
        return timer

    def destroy_timer(self, timer):
        self.timers.remove(timer)

    def add_on_set_parameters_callback(self, callback):
        self.param_callbacks.append(callback)

    def get_logger(self):
        return self.logger

    def get_clock(self):
        return types.SimpleNamespace(now=lambda: types.SimpleNamespace(nanoseconds=1))

    def destroy_node(self):
        if not getattr(self, 'destroyed', False):
            Node.graph.subtract(list(self.pubs))
        self.destroyed = True


def _result(successful, reason):
    from rcl_interfaces.msg import SetParametersResult
    return SetParametersResult(successful=successful, reason=reason)
