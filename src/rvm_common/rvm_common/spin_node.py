"""The shared ``main()`` body of every rvm-edge rclpy adapter (ros2/demos Humble pattern).

Lives in a ``*_node.py`` file because it is adapter code: it imports rclpy, which the cores
never do.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import rclpy
from rclpy.executors import ExternalShutdownException


def run_node(make_node: Callable[[], Any], args: Any = None) -> None:
    """Init rclpy, spin ``make_node()``, and always tear down cleanly.

    Ctrl-C exits quietly, an external shutdown exits with status 1; a node's optional
    ``shutdown()`` (e.g. a final status message) runs before ``destroy_node()``.
    """
    rclpy.init(args=args)
    node = None
    try:
        node = make_node()
        rclpy.spin(node)
    except KeyboardInterrupt:
        pass
    except ExternalShutdownException:
        sys.exit(1)
    finally:
        if node is not None:
            final = getattr(node, 'shutdown', None)
            if callable(final):
                try:
                    final()
                except Exception as exc:  # the context may already be shut down
                    node.get_logger().warning(f'shutdown step failed: {exc}')
            node.destroy_node()
        rclpy.try_shutdown()
