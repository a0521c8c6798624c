"""setpoint's API server: the Kubernetes REST API over a revisioned store, arranged as kube-apiserver is.

A request flows through these packages, in this order::

    http -> server (route, authn, authz) -> endpoints (verb) -> registry (object store) -> storage

* :mod:`~setpoint.apiserver.http`, :mod:`~setpoint.apiserver.server` -- the HTTP/1.1 server and
  :class:`~setpoint.apiserver.server.APIServer`: routing, the request pipeline, health, version;
* :mod:`~setpoint.apiserver.endpoints` -- the HTTP face of the API: verb handlers, watch streams,
  discovery, OpenAPI, Table output, metrics;
* :mod:`~setpoint.apiserver.registry` -- what every resource shares: ``Resource``/``Strategy``/
  ``Registry``, the ``ObjectStore`` (metadata, concurrency, finalizers, admission) and its watch, the
  watch cache, the admission seams and ``ObjectMeta`` validation;
* :mod:`~setpoint.apiserver.builtin` -- the built-in kinds: schemas, patch and list semantics from
  kube's published definitions, and a module per API group for what each kind does differently;
* :mod:`~setpoint.apiserver.encoding` -- wire formats: ``Status`` errors, patches, kube protobuf;
* :mod:`~setpoint.apiserver.apiextensions` -- CRDs: validation, structural schemas, CEL rules, and
  serving custom resources.

Shared with the runtime: :mod:`setpoint.apimachinery` (Go-compatible formatting, time, selectors).
Built-in controllers live above, in :mod:`setpoint.controllers`, and are given the registry and
object store, not the server.
"""
