"""Where events go: the channel map (outbound) and the inbound event dispatch."""
