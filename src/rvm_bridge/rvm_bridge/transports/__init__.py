"""Outbound transports: HTTP events API, client events, the MyRVM API, WebSocket I/O."""
