"""Camera frames from V4L2, Jetson CSI, GStreamer, RTSP/HTTP, video files, image folders and rosbag2, with reconnection and record/replay."""
