"""Pusher protocol v7 without I/O, the payload size limit and the stored acknowledgement."""
