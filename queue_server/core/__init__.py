"""The pure hall core: no I/O, no clock; time is passed in."""
