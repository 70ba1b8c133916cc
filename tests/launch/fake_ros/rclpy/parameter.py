"""Fake rclpy.parameter: a name and a value."""


class Parameter:
    def __init__(self, name, type_=None, value=None):
        self.name, self.value = name, value
