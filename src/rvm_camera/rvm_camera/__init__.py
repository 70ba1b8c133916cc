"""Camera frames from V4L2, Jetson CSI, GStreamer, RTSP/HTTP, video files, image folders, rosbag2.

With reconnection and record/replay.
"""
