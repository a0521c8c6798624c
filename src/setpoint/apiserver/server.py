"""The API server: routing, the request pipeline, and the non-resource endpoints.

Per request: authenticate -> impersonate -> route -> priority and fairness (resource and non-resource
requests; or the plain in-flight limit) -> authorize -> verb
handler (which runs admission and storage) -> metrics. Everything per server
lives on :class:`APIServer`; two servers can share one storage.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import platform
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final
from urllib.parse import unquote

import orjson

from setpoint import __version__, storage
from setpoint.apiserver import audit, authz, builtin
from setpoint.apiserver.admission import policy
from setpoint.apiserver.admission.limitranger import LimitRanger
from setpoint.apiserver.admission.policy import MutatingPolicyAdmission, ValidatingPolicyAdmission
from setpoint.apiserver.admission.priority import Priority
from setpoint.apiserver.admission.resourcequota import ResourceQuotaAdmission
from setpoint.apiserver.admission.serviceaccount import ServiceAccountAdmission
from setpoint.apiserver.admission.webhook import WebhookAdmission
from setpoint.apiserver.admission.webhookclient import WebhookClient
from setpoint.apiserver.apiextensions import crds
from setpoint.apiserver.authn import impersonation
from setpoint.apiserver.authn.authentication import Authentication
from setpoint.apiserver.builtin.scheduling import SYSTEM_PRIORITY_CLASSES
from setpoint.apiserver.encoding import errors
from setpoint.apiserver.endpoints import discovery, handlers, openapi, pods, resourcemetrics, watch
from setpoint.apiserver.endpoints.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from setpoint.apiserver.endpoints.metrics import APIMetrics
from setpoint.apiserver.flowcontrol import FlowControl
from setpoint.apiserver.http import (
    HTTPServer,
    Request,
    Response,
    StreamingResponse,
    add_warning,
    warning_header,
)
from setpoint.apiserver.registry.admission import (
    AdmissionChain,
    AllowAll,
    Attributes,
    Authenticator,
    Authorizer,
    UserInfo,
)
from setpoint.apiserver.registry.default_ingress_class import DefaultIngressClass
from setpoint.apiserver.registry.default_tolerations import DefaultTolerationSeconds
from setpoint.apiserver.registry.eviction import Evictions
from setpoint.apiserver.registry.namespace_lifecycle import NamespaceLifecycle
from setpoint.apiserver.registry.objectstore import ObjectStore
from setpoint.apiserver.registry.resources import Registry, Resource

log = logging.getLogger(__name__)

#: The Kubernetes version setpoint's API corresponds to.
KUBE_MAJOR, KUBE_MINOR = "1", "36"
MAX_BODY_BYTES = 3 * 1024 * 1024

_NOT_FOUND = errors.StatusError(404, "NotFound", "the server could not find the requested resource", details={})
_WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
#: Subresources written with POST (``create``) only.
_CREATE_SUBRESOURCES = frozenset({"eviction", "token"})

Route = Callable[[Request], Awaitable[Response]]
VerbHandler = Callable[[ObjectStore, handlers.Call], Awaitable[Response | StreamingResponse]]
_VERBS: dict[str, VerbHandler] = {
    "get": handlers.get,
    "list": handlers.list_,
    "watch": watch.watch,
    "create": handlers.create,
    "update": handlers.update,
    "patch": handlers.patch_,
    "delete": handlers.delete,
    "deletecollection": handlers.delete_collection,
}

#: Verbs of a resource or subresource served by a handler of its own: (plural, subresource, verb).
_SPECIAL: dict[tuple[str, str, str], VerbHandler] = {
    ("pods", "binding", "create"): pods.binding,
    ("bindings", "", "create"): pods.binding,
    ("pods", "log", "get"): pods.log,
    **{("pods", sub, verb): pods.connect for sub in ("exec", "attach", "portforward") for verb in ("get", "create")},
}


def version_info() -> dict[str, str]:
    return {
        "major": KUBE_MAJOR,
        "minor": KUBE_MINOR,
        "emulationMajor": KUBE_MAJOR,
        "emulationMinor": KUBE_MINOR,
        "minCompatibilityMajor": KUBE_MAJOR,
        "minCompatibilityMinor": KUBE_MINOR,
        "gitVersion": f"v{KUBE_MAJOR}.{KUBE_MINOR}.0+setpoint.{__version__}",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": f"python{platform.python_version()}",
        "compiler": "cpython",
        "platform": f"{platform.system().lower()}/{platform.machine()}",
    }


def _error_response(err: errors.StatusError) -> Response:
    return Response(err.code, err.body(), "application/json", err.headers or None)


class APIServer:
    """A Kubernetes API server over one :class:`storage.Storage`."""

    def __init__(
        self,
        store: storage.Storage,
        *,
        authenticator: Authenticator | None = None,
        authorizer: Authorizer | None = None,
        authentication: Authentication | None = None,
        admission: AdmissionChain | None = None,
        max_requests_inflight: int = 400,
        max_mutating_requests_inflight: int = 200,
        authorization_modes: tuple[str, ...] = ("AlwaysAllow",),
        enable_priority_and_fairness: bool = True,
        auditor: audit.Auditor | None = None,
        min_request_timeout: float = watch.MIN_REQUEST_TIMEOUT,
    ) -> None:
        self.storage = store
        #: ``--min-request-timeout``: a watch without timeoutSeconds ends after this to twice this.
        self.min_request_timeout = min_request_timeout
        self.registry = Registry()
        self.admission = admission or AdmissionChain()
        self.objects = ObjectStore(store, self.admission)
        #: Tokens, keys and the union authenticator (used unless ``authenticator`` is given; without
        #: ``authentication`` either, everyone is an administrator).
        self.authentication = authentication or Authentication()
        self.authenticator: Authenticator = authenticator or (authentication.authenticator if authentication
                                                               else AllowAll())
        #: ``--authorization-mode``: the RBAC index, escalation checks, access reviews.
        self.authz = authz.Authorization(self.registry, self.objects, authorization_modes, lambda: self.authorizer)
        self.authorizer: Authorizer = authorizer or self.authz.authorizer
        self.metrics = APIMetrics()
        #: The audit log (``--audit-policy-file``); None: nothing audited, nothing paid.
        self.auditor = auditor
        #: More Prometheus text for ``/metrics`` (the built-in controllers' runtime metrics, say).
        self.metrics_sources: list[Callable[[], bytes]] = []
        self._max_reads = max_requests_inflight
        self._max_writes = max_mutating_requests_inflight
        self._reads_inflight = 0
        self._writes_inflight = 0
        self.http: HTTPServer | None = None
        self._ready = False
        self._tasks: list[asyncio.Task[None]] = []
        builtin.register_builtins(self.registry)
        #: The client of admission and CRD conversion webhooks (one session per server).
        self.webhooks = WebhookClient(self.registry, self.objects)
        self.crds = crds.CRDController(self.registry, self.objects, self.webhooks)
        self.registry.add(crds.crd_resource())
        for r in policy.resources():
            self.registry.add(r)
        # kube's order: NamespaceLifecycle, LimitRanger, ServiceAccount, ..., Priority,
        # DefaultTolerationSeconds, ..., MutatingAdmissionPolicy, MutatingAdmissionWebhook,
        # ValidatingAdmissionPolicy, ValidatingAdmissionWebhook, ResourceQuota (every mutating step runs first).
        self.admission.plugins[0:0] = [NamespaceLifecycle(self.registry, self.objects),
                                       LimitRanger(self.registry, self.objects),
                                       ServiceAccountAdmission(self.registry, self.objects),
                                       Priority(self.registry, self.objects),
                                       DefaultTolerationSeconds(), DefaultIngressClass(self.registry, self.objects),
                                       MutatingPolicyAdmission(self.registry, self.objects, self._authorize),
                                       ValidatingPolicyAdmission(self.registry, self.objects, self._authorize),
                                       WebhookAdmission(self.registry, self.objects, self.webhooks),
                                       ResourceQuotaAdmission(self.registry, self.objects)]
        self.admission.plugins.append(self.authz.escalation)
        evictions = Evictions(self.registry, self.objects)
        #: The handlers of POSTs to subresources, by (group, resource, subresource).
        self.subresource_creates: dict[tuple[str, str, str], VerbHandler] = {
            ("", "pods", "eviction"): lambda _objects, call: handlers.evict(evictions, call),
        }
        #: The handlers of computed resources (metrics.k8s.io), by (group, resource, verb).
        self.computed_handlers: dict[tuple[str, str, str], VerbHandler] = (
            resourcemetrics.ResourceMetrics(self.registry, self.objects).handlers())
        self.computed_handlers.update(self.authz.reviews.handlers())
        #: The handlers of their own (:data:`_SPECIAL`); pods/log reads the behaviour rules' ConfigMap.
        self.special: dict[tuple[str, str, str], VerbHandler] = {
            **_SPECIAL, ("pods", "log", "get"): lambda objects, call: pods.log(objects, call, self.registry)}
        self.authentication.install(self, authenticating=self.authenticator is self.authentication.authenticator)
        self.discovery = discovery.Discovery(self.registry)
        self.openapi = openapi.OpenAPI(self.registry)
        #: API Priority and Fairness (None: the plain in-flight limits of ``_serve``).
        self.flowcontrol = FlowControl(
            self.registry, self.objects, self.metrics.registry,
            server_concurrency_limit=max_requests_inflight + max_mutating_requests_inflight,
        ) if enable_priority_and_fairness else None
        self.registry.subscribe(self._on_registry_change)
        self._routes: dict[str, Route] = {
            "/healthz": self._health,
            "/livez": self._health,
            "/readyz": self._readyz,
            "/version": self._version,
            # kube's go-restful route is "/version/" (the official Python client's VersionApi asks that).
            "/version/": self._version,
            "/metrics": self._metrics,
        }

    def _authorize(self, attrs: Attributes) -> tuple[bool, str]:
        """The authorizer admission policies' ``authorizer`` asks (the one set now)."""
        return self.authorizer.authorize(attrs)

    # --- lifecycle ---------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 6443, *,
                    ssl_context: ssl.SSLContext | None = None) -> None:
        """Warm the caches, create the system namespaces, start serving (over TLS with ``ssl_context``)."""
        await self.objects.start()
        for r in self.registry.all():
            if not r.computed:
                self.objects.cacher(r)
        await self.crds.start()
        await self._ensure_namespaces()
        await self._ensure_priority_classes()
        await self.authz.start()
        if self.flowcontrol is not None:
            await self.flowcontrol.start()
        self.http = HTTPServer(self.handle, max_body_bytes=MAX_BODY_BYTES,
                               error_response=lambda code, msg: _error_response(_http_error(code, msg)))
        await self.http.start(host, port, ssl_context=ssl_context)
        self._ready = True

    @property
    def port(self) -> int:
        assert self.http is not None
        return self.http.port

    async def stop(self) -> None:
        self._ready = False
        await self.crds.stop()
        await self.authz.stop()
        if self.flowcontrol is not None:
            await self.flowcontrol.stop()
        # End every watch first, so open streams finish instead of holding the grace period.
        self.objects.caches.fail_watchers("the server is shutting down")
        if self.http is not None:
            await self.http.stop(grace=2.0)
        if self.auditor is not None:
            self.auditor.close()
        for t in self._tasks:
            t.cancel()
        await self.webhooks.close()
        await self.objects.close()

    async def _ensure_namespaces(self) -> None:
        ns = self.registry.get("", "v1", "namespaces")
        assert ns is not None
        for name in builtin.SYSTEM_NAMESPACES:
            if await self.storage.get(ns.key(None, name)) is None:
                try:
                    await self.objects.create(ns, None, {"apiVersion": "v1", "kind": "Namespace",
                                                         "metadata": {"name": name}})
                except errors.StatusError as exc:
                    if exc.code != 409:
                        raise

    async def _ensure_priority_classes(self) -> None:
        """kube-apiserver's ``scheduling/bootstrap-system-priority-classes`` post-start hook."""
        pcs = self.registry.get("scheduling.k8s.io", "v1", "priorityclasses")
        assert pcs is not None
        for pc in SYSTEM_PRIORITY_CLASSES:
            if await self.storage.get(pcs.key(None, pc["metadata"]["name"])) is None:
                try:
                    await self.objects.create(pcs, None, orjson.loads(orjson.dumps(pc)))
                except errors.StatusError as exc:
                    if exc.code != 409:
                        raise

    def _on_registry_change(self, change: str, resource: Resource) -> None:
        if change == "added":
            if not resource.computed:
                self.objects.cacher(resource)
        elif not self.registry.find_storage(resource.key_prefix):
            self._tasks.append(asyncio.ensure_future(self.objects.drop_cacher(resource.key_prefix)))

    # --- the request pipeline ----------------------------------------------------

    async def handle(self, request: Request) -> Response | StreamingResponse:
        if self.auditor is not None:
            return await self.auditor.serve(request, self._handle, self.authenticator)
        return await self._handle(request)

    async def _handle(self, request: Request) -> Response | StreamingResponse:
        try:
            user = self.authenticator.authenticate(request)
            if user is None:
                raise errors.unauthorized()
            user = impersonation.impersonate(request, user, self.authorizer)
            return await self._dispatch(request, user)
        except errors.StatusError as exc:
            return _error_response(exc)
        except Exception as exc:
            log.exception("internal error serving %s %s", request.method, request.path)
            if self.auditor is not None:
                request.state["panic"] = exc
            return _error_response(errors.internal_error("an error on the server has prevented the request from succeeding"))

    async def _dispatch(self, request: Request, user: UserInfo) -> Response | StreamingResponse:
        path = request.path
        route = self._routes.get(path)
        if route is not None or path == "/":
            parts = []
        else:
            parts = path.strip("/").split("/")
            if "%" in path:
                parts = [unquote(p) for p in parts]
        if parts and ((parts[0] == "api" and len(parts) >= 3) or (parts[0] == "apis" and len(parts) >= 4)):
            if parts[0] == "api":
                group, version, rest = "", parts[1], parts[2:]
            else:
                group, version, rest = parts[1], parts[2], parts[3:]
            call = self._route_resource(request, group, version, rest)
            if self.flowcontrol is not None:
                return await self.flowcontrol.handle(user, call, self._authorize_and_serve)
            return await self._authorize_and_serve(user, call)
        # A non-resource request (health, version, metrics, discovery, OpenAPI): flow control
        # classifies it by its path, then it is authorized as kube's nonResourceURLs.
        serve = functools.partial(self._serve_non_resource, request, user, route, parts)
        if self.flowcontrol is not None:
            return await self.flowcontrol.handle_path(user, request.method.lower(), path, serve)
        return await serve()

    async def _serve_non_resource(self, request: Request, user: UserInfo, route: Route | None,
                                  parts: list[str]) -> Response | StreamingResponse:
        self._authorize_path(request, user)
        if route is not None:
            return await route(request)
        if not parts:
            return self._root()
        head = parts[0]
        if head == "openapi":
            return self.openapi.handle(request, parts[1:])
        if head == "api":
            if len(parts) == 1:
                return self.discovery.legacy_root(request)
            return self.discovery.resources(request, "", parts[1])
        if head == "apis":
            if len(parts) == 1:
                return self.discovery.groups(request)
            if len(parts) == 2:
                return self.discovery.group(request, parts[1])
            return self.discovery.resources(request, parts[1], parts[2])
        if request.path.startswith(("/healthz/", "/livez/", "/readyz/")):
            return await self._health(request)
        raise _NOT_FOUND

    async def _authorize_and_serve(self, user: UserInfo, call: handlers.Call) -> Response | StreamingResponse:
        r = call.resource
        attrs = Attributes(user, call.verb, r.group, r.version, r.plural, call.subresource,
                           call.namespace or "", call.name or "", r.kind, False)
        allowed, reason = self.authorizer.authorize(attrs)
        if self.auditor is not None:
            audit.note(call.request, attrs, allowed, reason)
        if not allowed:
            raise authz.forbidden(attrs, reason)
        call.attrs = attrs
        return await self._serve(call)

    def _authorize_path(self, request: Request, user: UserInfo) -> None:
        """Authorize a non-resource request (``/version``, ``/healthz``, discovery)."""
        attrs = Attributes(user, request.method.lower(), "", "", "", "", "", "", path=request.path,
                           resource_request=False)
        allowed, reason = self.authorizer.authorize(attrs)
        if not allowed:
            raise authz.forbidden(attrs, reason)

    async def _serve(self, call: handlers.Call) -> Response | StreamingResponse:
        r = call.resource
        verb = _metric_verb(call)
        labels = (verb, _dry_run_label(call), r.group, r.version, r.plural, call.subresource, _scope(call),
                  "apiserver")
        if call.verb == "watch":
            gauge = self.metrics.longrunning.labels(verb, *labels[2:])
            response = await watch.watch(self.objects, call, min_request_timeout=self.min_request_timeout)
            self.metrics.requests.count(labels, str(response.status))
            if isinstance(response, StreamingResponse):
                response.chunks = _track(response.chunks, gauge)
            return response
        mutating = call.verb in _WRITE_VERBS
        if self.flowcontrol is not None:
            pass  # seats were taken by flow control
        elif mutating:
            if self._writes_inflight >= self._max_writes:
                self.metrics.rejected.labels("mutating").inc()
                return _too_many_requests()
            self._writes_inflight += 1
        else:
            if self._reads_inflight >= self._max_reads:
                self.metrics.rejected.labels("readOnly").inc()
                return _too_many_requests()
            self._reads_inflight += 1
        started = time.perf_counter()
        code = "500"
        try:
            handler = _VERBS[call.verb]
            if r.computed:
                handler = self.computed_handlers.get((r.group, r.plural, call.verb)) or _not_found_handler
            elif call.subresource in _CREATE_SUBRESOURCES:
                handler = self.subresource_creates.get((r.group, r.plural, call.subresource)) or _not_found_handler
            elif not r.group:
                handler = self.special.get((r.plural, call.subresource, call.verb), handler)
            response = await handler(self.objects, call)
            code = str(response.status)
            warning = getattr(r.strategy, "deprecation_warning", "")
            if (warning or call.attrs.warnings) and isinstance(response, Response):
                # A deprecated custom resource version warns on every request (as kube's CRD handler),
                # admission webhooks when they say so.
                extra = [warning_header(warning)] if warning else []
                for w in call.attrs.warnings:
                    add_warning(extra, w)
                response = Response(response.status, response.body, response.content_type,
                                    [*(response.headers or []), *extra])
            return response
        except errors.StatusError as exc:
            code = str(exc.code)
            if call.attrs.warnings:
                exc.headers = list(exc.headers)  # some errors are shared constants
                for w in call.attrs.warnings:
                    add_warning(exc.headers, w)
            raise
        finally:
            if self.flowcontrol is None:  # (with flow control, it holds the seats)
                if mutating:
                    self._writes_inflight -= 1
                else:
                    self._reads_inflight -= 1
            self.metrics.observe(labels, code, time.perf_counter() - started)

    def _route_resource(self, request: Request, group: str, version: str, rest: list[str]) -> handlers.Call:
        legacy_watch = False
        if rest[0] == "watch":
            legacy_watch = True
            rest = rest[1:]
            if not rest:
                raise _NOT_FOUND
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            candidate = self.registry.get(group, version, rest[2])
            if candidate is not None and candidate.namespaced:
                namespace = rest[1]
                rest = rest[2:]
            elif group == "" and rest[2] in ("status", "finalize"):
                pass
            else:
                raise _NOT_FOUND
        if len(rest) > 3:
            raise _NOT_FOUND
        resource = self.registry.get(group, version, rest[0])
        if resource is None:
            raise _NOT_FOUND
        name = rest[1] if len(rest) > 1 else None
        subresource = rest[2] if len(rest) > 2 else ""
        if subresource and subresource not in resource.subresources:
            raise _NOT_FOUND
        method = request.method
        if name is None:
            if method == "GET":
                w = request.query_one("watch")
                verb = "watch" if legacy_watch or (w is not None and w.lower() in ("true", "1")) else "list"
            elif method == "POST":
                verb = "create"
            elif method == "DELETE":
                verb = "deletecollection"
            else:
                raise _method_not_allowed()
        else:
            verb = _OBJECT_VERBS.get(method, "")
            if subresource and method == "POST":
                verb = "create"
            if legacy_watch and method == "GET":
                verb = "watch"
            if subresource in _CREATE_SUBRESOURCES:
                verb = "create" if method == "POST" else ""
            if not verb:
                raise _method_not_allowed()
            if subresource and verb not in discovery.SUBRESOURCES.get(subresource, _PLAIN_SUBRESOURCE).verbs:
                raise _method_not_allowed()
        if verb not in resource.verbs:
            if verb == "watch" and "list" in resource.verbs:
                # The list handler of a storage that cannot watch (kube's NewMethodNotSupported).
                raise errors.StatusError(
                    405, "MethodNotAllowed",
                    f'watch is not supported on resources of kind "{resource.qualified}"',
                    details={"group": resource.group, "kind": resource.plural} if resource.group
                    else {"kind": resource.plural})
            raise _method_not_allowed()
        if resource.namespaced and namespace is None and verb not in ("list", "watch", "deletecollection"):
            raise _NOT_FOUND
        if verb == "deletecollection" and resource.namespaced and namespace is None:
            raise _NOT_FOUND
        if verb == "watch" and name is not None:
            # A watch of one object: a field selector on its name.
            request.query.setdefault("fieldSelector", [f"metadata.name={name}"])
            name = None
        return handlers.Call(request, resource, namespace, name, subresource, verb, _NO_ATTRS)

    # --- non-resource endpoints ----------------------------------------------------

    def _root(self) -> Response:
        paths = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/metrics", "/openapi/v2", "/openapi/v3",
                 "/readyz", "/version"]
        for group, resources in self.registry.groups().items():
            if group:
                paths.append(f"/apis/{group}")
                paths.extend(sorted({f"/apis/{group}/{r.version}" for r in resources}))
        return Response(200, orjson.dumps({"paths": sorted(set(paths))}))

    async def _health(self, request: Request) -> Response:
        if request.query.get("verbose") is not None:
            return Response(200, b"[+]ping ok\n[+]etcd ok\nhealthz check passed\n", "text/plain; charset=utf-8")
        return Response(200, b"ok", "text/plain; charset=utf-8")

    async def _readyz(self, request: Request) -> Response:
        if not self._ready:
            return Response(500, b"[-]informer-sync failed: not ready\nreadyz check failed\n", "text/plain; charset=utf-8")
        return await self._health(request)

    async def _version(self, request: Request) -> Response:
        return Response(200, orjson.dumps(version_info()))

    async def _metrics(self, request: Request) -> Response:
        self.metrics.inflight.labels("readOnly").set(self._reads_inflight)
        self.metrics.inflight.labels("mutating").set(self._writes_inflight)
        body = self.metrics.render()
        if self.metrics_sources:
            body = b"".join([body, *(source() for source in self.metrics_sources)])
        return Response(200, body, METRICS_CONTENT_TYPE)


_NO_ATTRS: Any = None
_PLAIN_SUBRESOURCE = discovery.Subresource(("get", "patch", "update"))


async def _not_found_handler(_objects: ObjectStore, _call: handlers.Call) -> Response:
    raise _NOT_FOUND


#: The verb label of kube's request metrics: the installer's action verb (an HTTP method,
#: LIST/WATCH/DELETECOLLECTION), not the API verb.
_METRIC_VERBS = {"get": "GET", "list": "LIST", "watch": "WATCH", "create": "POST", "update": "PUT",
                 "patch": "PATCH", "delete": "DELETE", "deletecollection": "DELETECOLLECTION"}


#: The verb of a request to one object, by its method.
_OBJECT_VERBS: Final = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def _metric_verb(call: handlers.Call) -> str:
    """As kube's ``CleanVerb``: server-side apply is APPLY."""
    if call.verb == "patch" and call.request.headers.get("content-type", "").split(";")[0].strip() == (
            "application/apply-patch+yaml"):
        return "APPLY"
    return _METRIC_VERBS[call.verb]


def _dry_run_label(call: handlers.Call) -> str:
    """kube's ``dry_run`` metric label: the sorted, de-duplicated dryRun values."""
    values = call.request.query.get("dryRun")
    return ",".join(sorted(set(values))) if values else ""


def _scope(call: handlers.Call) -> str:
    """The installer's requestScope: named objects and creates are "resource"."""
    if call.name is not None or call.verb == "create":
        return "resource"
    if call.namespace:
        return "namespace"
    return "cluster"


async def _track(chunks: Any, gauge: Any) -> Any:
    gauge.inc()
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        gauge.dec()
        # Close the inner stream now (it unregisters its cache watcher), not at garbage collection.
        await chunks.aclose()


def _method_not_allowed() -> errors.StatusError:
    """go-restful's 405, as kube's serviceErrorHandler renders it (NewGenericServerResponse: empty details)."""
    return errors.StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                              details={})


def _too_many_requests() -> Response:
    """429 with Retry-After, as a ``Status`` like every other failure (kube's filter sends plain text)."""
    return _error_response(errors.too_many_requests(1))


def _http_error(code: int, message: str) -> errors.StatusError:
    if code == 413:
        return errors.too_large(MAX_BODY_BYTES)
    if code == 400:
        return errors.bad_request(message)
    return errors.internal_error(message)
