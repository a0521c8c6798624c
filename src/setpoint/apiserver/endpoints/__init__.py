"""The HTTP face of the API: verb handlers, watch, discovery, OpenAPI, tables, metrics."""
