"""The Kubernetes API server: HTTP, routing, the request pipeline, resources."""
