"""tap-servicetitan: a Singer tap for the ServiceTitan REST API."""
