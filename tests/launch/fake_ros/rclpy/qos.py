"""Fake rclpy.qos: profiles are plain records."""
import enum


class HistoryPolicy(enum.Enum):
    KEEP_LAST = 1


class ReliabilityPolicy(enum.Enum):
    RELIABLE = 1
    BEST_EFFORT = 2


class DurabilityPolicy(enum.Enum):
    VOLATILE = 1
    TRANSIENT_LOCAL = 2


class QoSProfile:
    def __init__(self, **fields):
        self.__dict__.update(fields)


qos_profile_sensor_data = QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT)
