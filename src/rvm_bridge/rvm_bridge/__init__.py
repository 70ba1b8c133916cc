"""Bridge between ROS topics and Laravel Reverb / Pusher protocol v7 channels, with a durable outbox."""
