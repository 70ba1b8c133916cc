"""The sender: its rule table, transport records, stored acknowledgements, counts."""
