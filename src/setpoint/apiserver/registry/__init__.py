"""Generic object storage semantics: resources, the object store, watch caches, admission."""
