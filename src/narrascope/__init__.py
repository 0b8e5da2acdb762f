"""Narrascope: persuasion techniques, narratives, roles, quotes, claims and copies in news articles."""
