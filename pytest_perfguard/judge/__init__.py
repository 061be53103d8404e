"""Deciding: policy, statistics, verdicts and budgets. Pure; scipy is imported where used."""
