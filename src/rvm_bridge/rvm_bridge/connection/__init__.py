"""The self-healing Pusher connection: state, settings, reconnect rules, channel auth."""
