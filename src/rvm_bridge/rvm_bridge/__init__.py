"""Bridge between ROS topics and Laravel Reverb / Pusher v7 channels, with a durable outbox."""
