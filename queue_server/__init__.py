"""The queue server: the hall core, its store and its HTTP/WebSocket API."""
