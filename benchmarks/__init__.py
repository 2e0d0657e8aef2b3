"""`make bench`: SQL queries, latency and requests/s of the API against stock grapple
resolution and a plain Django JSON view, at 5 to 5,000 procedures. See `run.py`."""
