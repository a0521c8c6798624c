"""The built-in kinds, declared from kube's published API definitions."""
