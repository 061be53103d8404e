"""A session's run state and gate, shared by the pytest plugin and the command line."""
