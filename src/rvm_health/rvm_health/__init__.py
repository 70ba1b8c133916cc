"""Resource and pipeline health, the RVM status state machine, alerts and /diagnostics."""
