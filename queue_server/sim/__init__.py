"""The hall-day simulator: the real hall core in simulated time (``hallqueue simulate``)."""
