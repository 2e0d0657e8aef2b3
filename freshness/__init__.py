"""Freshness: what clients hold follows what editors changed.

Owns the content generation that every cached answer is checked against (`generation.py`).
"""
