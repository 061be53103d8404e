"""A worker pytest session in a subprocess, watched with deadlines (the instruction pass)."""
