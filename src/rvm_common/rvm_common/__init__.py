"""Shared pure-Python pieces of rvm-edge (no rclpy import anywhere in this package)."""
