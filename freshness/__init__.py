"""Freshness: what clients hold follows what editors changed.

Owns the content generation that every cached answer is checked against (`generation.py`),
the dependency tags of answers and changes (`tags.py`), and purging the HTTP caches in front
by those tags (`purge.py`, `purge_backends.py`, `varnish/default.vcl`).
"""
