"""rvm_fleet: fleet-scale simulation of rvm-edge bridges against a Redis-scaled Pusher cluster."""
