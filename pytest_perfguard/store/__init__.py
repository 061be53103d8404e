"""Storing: the baseline TOML file, its history of runs, and the codec for results."""
