"""`make bench`: SQL queries, latency and requests/s of the API against item-by-item (stock)
resolution and a plain Django JSON view, at 5 to 5,000 procedures. See `run.py`."""
