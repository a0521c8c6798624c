"""Server-side apply: field sets, typed merges and ``metadata.managedFields``, after
structured-merge-diff and kube's ``managedfields`` package."""
