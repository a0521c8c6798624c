"""Built-in controllers: what a cluster does around the API server."""
