"""The HTTP and WebSocket API: the route table, its handlers, authorization, errors, OpenAPI
and the pages the server hands out."""
