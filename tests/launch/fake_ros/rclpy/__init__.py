"""Fake rclpy (see ../README.md): only what the rvm-edge adapters touch."""


class SignalHandlerOptions:
    NO = 'NO'
    ALL = 'ALL'
