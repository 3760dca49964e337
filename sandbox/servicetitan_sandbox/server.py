"""HTTP front of the sandbox: a route table, auth checks, handlers and the server object.

Handlers only translate a request into calls on the :class:`Dataset`; the
faults of :mod:`.faults` wrap every API handler.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.utils
import math
import re
import secrets
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from . import credentials
from .child_records import KINDS, ChildKind, Children
from .counts import paired_list_routes
from .dataset import Dataset
from .faults import Faults, Response, error_response, with_faults
from .formats import parse_iso_ms
from .generic_records import GenericTenant
from .generic_routes import handler as generic_handler
from .lookups import Lookups
from .mutation import mutate as mutate_dataset
from .protocol import (
    API_PATH,
    DATE_LIKE,
    Request,
    bad_request,
    decode_continue,
    encode_continue,
    json_response,
)
from .reporting import Reporting
from .routes import CORE_ENDPOINTS, EXPORTS, Route
from .store import PARENT_FIELD


class SandboxServer:
    """A ServiceTitan API emulator for one tenant on 127.0.0.1 (see module docs)."""

    def __init__(
        self,
        customers: int = 1000,
        seed: int = 42,
        tenant_id: int = credentials.TENANT_ID,
        client_id: str = credentials.CLIENT_ID,
        client_secret: str = credentials.CLIENT_SECRET,
        app_key: str = credentials.APP_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        export_page_size: int = 500,
        scopes: set[str] | None = None,
        log_size: int = 10000,
    ):
        self.tenant_id = int(tenant_id)
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_key = app_key
        self.host = host
        self.port = int(port)
        self.export_page_size = int(export_page_size)
        self.scopes = None if scopes is None else set(scopes)
        self.dataset = Dataset(customers=customers, seed=seed, tenant_id=self.tenant_id)
        #: every other collection of the API reference, generated to agree with the dataset
        self.generic = GenericTenant(self.dataset, skip=set(CORE_ENDPOINTS))
        self.children = Children(self.dataset, self.generic)
        #: business hours, capacity and the marketing reports (lookups.py)
        self.lookups = Lookups(self.dataset, self.generic)
        self.faults = Faults()
        #: the Reporting API's reports and their data (reporting.py)
        self.reporting = Reporting(self.dataset, self.generic, self._page_out)
        self.request_log: deque[tuple[str, str, int]] = deque(maxlen=log_size)
        #: stream -> ids its export feed silently skips (hide_from_export)
        self.hidden_from_export: dict[str, set[int]] = {}
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self._counts: Counter = Counter()
        self._by_endpoint: Counter = Counter()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._routes: dict[tuple[str, str], Route] = {}
        self._pattern_routes: list[Route] = []
        self._build_routes()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        handler = _make_handler(self)
        httpd = _Server((self.host, self.port), handler)
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd = self._httpd
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ public helpers

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/connect/token"

    def tap_config(self, **overrides: object) -> dict:
        """Settings for the tap pointing at this server (``overrides`` merged last)."""
        return (
            credentials.tap_config(self.url, self.tenant_id)
            | {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "st_app_key": self.app_key,
            }
            | overrides
        )

    @property
    def counters(self) -> dict:
        with self._lock:
            snap = {
                k: self._counts.get(k, 0)
                for k in ("token", "requests", "connections", "429", "5xx", "401", "403", "dropped")
            }
            snap["by_endpoint"] = dict(self._by_endpoint)
        return snap

    def reset_counters(self) -> None:
        with self._lock:
            self._counts.clear()
            self._by_endpoint.clear()
            self.request_log.clear()

    def mutate(self, fraction: float = 0.01, seed: int = 1) -> dict:
        """A day of changes: children, the dataset's streams, then every generated collection
        (whose business streams change some of the dataset's jobs and invoices too: counts
        of one stream are added up)."""
        changes = self.children.mutate(fraction=fraction, seed=seed)
        summary = mutate_dataset(self.dataset, fraction, seed) | changes
        for name, counts in self.generic.mutate(fraction=fraction, seed=seed).items():
            before = summary.get(name, {})
            summary[name] = {k: before.get(k, 0) + counts[k] for k in ("created", "updated")}
        return summary

    def hide_from_export(self, stream: str, ids: set[int] | list[int]) -> None:
        """The export feed of ``stream`` silently skips ``ids``; its list endpoint still
        counts them (the defect record reconciliation catches). Empty ``ids``: none."""
        self.hidden_from_export[stream] = set(ids)

    def issue_token(self, lifetime: float | None = None) -> str:
        """A valid access token without an HTTP round trip (for tests)."""
        tok = secrets.token_urlsafe(32)
        life = self.faults.token_lifetime if lifetime is None else lifetime
        with self._lock:
            self._tokens[tok] = time.monotonic() + float(life)
        return tok

    def expire_tokens(self) -> None:
        """Make every issued token expired (the next API call answers 401)."""
        with self._lock:
            self._tokens.clear()

    @property
    def all_scopes(self) -> set[str]:
        """Every scope some route needs: what a token names when no scopes were set."""
        routes = [*self._routes.values(), *self._pattern_routes]
        return {route.scope for route in routes}

    # ------------------------------------------------------------------ routing

    def _add(
        self,
        module: str,
        pattern: str,
        scope: str,
        handler: Callable[[Request], Response],
        method: str = "GET",
    ) -> None:
        r = Route(module, pattern, scope, handler, key=f"{module}/{pattern}", method=method)
        r.wrapped = with_faults(self.faults, self._authorized(r))
        if "{id}" in pattern or "{key}" in pattern:
            escaped = re.escape(pattern).replace(r"\{id\}", r"(\d+)")
            r.regex = re.compile("^" + escaped.replace(r"\{key\}", r"([^/]+)") + "$")
            self._pattern_routes.append(r)
        else:
            self._routes[(module, pattern)] = r

    def _build_routes(self) -> None:
        for stream, (module, res, scope) in EXPORTS.items():
            self._add(module, res, scope, self._export_handler(stream))
        cs, ls = "tn.crm.customers:r", "tn.crm.locations:r"
        lists = [
            ("crm", "customers", cs, "customers", {}),
            ("crm", "locations", ls, "locations", {"customerId": "customerId"}),
            ("crm", "customers/contacts", cs, "customer_contacts", {"customerIds": "customerId"}),
            ("crm", "locations/contacts", ls, "location_contacts", {"locationIds": "locationId"}),
            (
                "jpm",
                "jobs",
                "tn.jpm.jobs:r",
                "jobs",
                {"customerId": "customerId", "locationId": "locationId"},
            ),
            ("jpm", "appointments", "tn.jpm.appointments:r", "appointments", {"jobId": "jobId"}),
            ("accounting", "invoices", "tn.acc.invoices:r", "invoices", {}),
            ("sales", "estimates", "tn.sal.estimates:r", "estimates", {"jobId": "jobId"}),
            ("settings", "technicians", "tn.stt.technicians:r", "technicians", {}),
        ]
        for module, res, scope, stream, parents in lists:
            self._add(module, res, scope, self._list_handler(stream, parents))
            if "/" not in res:
                self._add(module, res + "/{id}", scope, self._detail_handler(stream))
        self._add(
            "crm",
            "customers/{id}/contacts",
            cs,
            self._per_parent_handler("customer_contacts", "customerId"),
        )
        self._add(
            "crm",
            "locations/{id}/contacts",
            ls,
            self._per_parent_handler("location_contacts", "locationId"),
        )
        for kind in KINDS:
            self._add(kind.module, kind.pattern, kind.scope, self._child_handler(kind))
        for name, collection in self.generic.collections.items():
            module, resource = name.split("/", 1)
            scope = collection.endpoint["scopes"][0]
            self._add(module, resource, scope, generic_handler(self, collection))
        for method, module, resource, scope, lookup in self.lookups.routes(self._page_out):
            self._add(module, resource, scope, lookup, method)
        # a list endpoint counts the records of the export feed of its resource (counts.py)
        for module, resource, scope, list_handler in paired_list_routes(self):
            self._add(module, resource, scope, list_handler)
        listed = [
            r for r in self._pattern_routes if r.key == "reporting/report-category/{key}/reports"
        ]
        self.reporting.fallback = listed[0].handler if listed else None
        for method, pattern, scope, report_handler in self.reporting.routes():
            self._add("reporting", pattern, scope, report_handler, method)
            if "{" in pattern:  # before the generated routes of the same pattern
                self._pattern_routes.insert(0, self._pattern_routes.pop())

    def _match(self, module: str, resource: str) -> tuple[Route | None, tuple]:
        r = self._routes.get((module, resource))
        if r is not None:
            return r, ()
        for r in self._pattern_routes:
            if r.module == module:
                m = r.regex.match(resource)
                if m:
                    return r, m.groups()
        return None, ()

    # ------------------------------------------------------------------ auth

    def _authorized(self, route: Route) -> Callable[[Request], Response]:
        handler = route.handler

        def check(req: Request) -> Response:
            auth = req.headers.get("authorization", "")
            if not auth.lower().startswith("bearer "):
                return error_response(401, "Authorization header with a Bearer token is required")
            tok = auth[7:].strip()
            exp = self._tokens.get(tok)
            if exp is None:
                return error_response(401, "The access token is invalid")
            if exp < time.monotonic():
                return error_response(401, "The access token has expired")
            if req.headers.get("st-app-key", "") != self.app_key:
                return error_response(
                    401,
                    "ST-App-Key header is missing or the app key is not valid for this application",
                )
            if req.tenant != str(self.tenant_id):
                return error_response(
                    403, f"Tenant {req.tenant} is not connected to this application"
                )
            if self.scopes is not None and route.scope not in self.scopes:
                return error_response(
                    403,
                    f"The application is missing the required scope {route.scope} "
                    f"for {req.module}/{route.pattern}",
                )
            return handler(req)

        return check

    # ------------------------------------------------------------------ handlers

    def _export_handler(self, stream: str) -> Callable[[Request], Response]:
        ds = self.dataset

        def export(req: Request) -> Response:
            frm = req.query.get("from", "").strip()
            after = since = None
            if frm:
                if DATE_LIKE.match(frm):
                    try:
                        since = parse_iso_ms(frm)
                    except ValueError:
                        return bad_request(
                            f"The 'from' value {frm!r} is not a valid date",
                            {"from": ["invalid date"]},
                        )
                else:
                    try:
                        after = decode_continue(frm)
                    except ValueError:
                        return bad_request(
                            "The 'from' value is neither a date nor a valid continuation token",
                            {"from": ["invalid continuation token"]},
                        )
            page, has_more, resume = ds.export_page(
                stream, after_version=after, since_ms=since, limit=self.export_page_size
            )
            hidden = self.hidden_from_export.get(stream)
            if hidden:
                page = [record for record in page if record["id"] not in hidden]
            body = b"".join(
                (
                    b'{"hasMore":',
                    b"true" if has_more else b"false",
                    b',"continueFrom":"',
                    encode_continue(resume).encode(),
                    b'","data":',
                    orjson.dumps(page),
                    b"}",
                )
            )
            return Response(200, body)

        return export

    def _paging(self, req: Request) -> tuple[int, int, bool] | Response:
        q = req.query
        try:
            page = int(q.get("page", "1") or 1)
            size = int(q.get("pageSize", "50") or 50)
        except ValueError:
            return bad_request("page and pageSize must be integers")
        if page < 1:
            return bad_request("page must be 1 or greater", {"page": ["must be >= 1"]})
        if size < 1 or size > 5000:
            return bad_request(
                "pageSize must be between 1 and 5000", {"pageSize": ["must be between 1 and 5000"]}
            )
        total = q.get("includeTotal", "").lower() == "true"
        return page, size, total

    @staticmethod
    def _id_list(value: str, name: str) -> list[int] | Response:
        try:
            ids = [int(x) for x in value.split(",") if x.strip()]
        except ValueError:
            return bad_request(f"{name} must be a comma separated list of integers")
        if len(ids) > 50:
            return bad_request(f"{name} accepts at most 50 ids", {name: ["at most 50 ids"]})
        return ids

    def _page_out(
        self, recs: list[dict], page: int, size: int, total: bool, strip: tuple[str, ...] = ()
    ) -> Response:
        start = (page - 1) * size
        data = recs[start : start + size]
        if strip:
            data = [{k: v for k, v in r.items() if k not in strip} for r in data]
        return json_response(
            {
                "page": page,
                "pageSize": size,
                "hasMore": start + size < len(recs),
                "totalCount": len(recs) if total else None,
                "data": data,
            }
        )

    def _list_handler(self, stream: str, parents: dict[str, str]) -> Callable[[Request], Response]:
        ds = self.dataset
        contacts = stream in ("customer_contacts", "location_contacts")

        def listing(req: Request) -> Response:
            paging = self._paging(req)
            if isinstance(paging, Response):
                return paging
            page, size, total = paging
            q = req.query
            if contacts:
                active = "True"  # deleted contacts never show on the list endpoints
            else:
                raw = (q.get("active") or q.get("activeState") or "True").lower()
                active = {
                    "true": "True",
                    "activeonly": "True",
                    "any": "Any",
                    "all": "Any",
                    "false": "False",
                    "inactiveonly": "False",
                }.get(raw)
                if active is None:
                    return bad_request("active must be True, Any or False")
            recs: list[dict] | None = None
            if q.get("ids"):
                ids = self._id_list(q["ids"], "ids")
                if isinstance(ids, Response):
                    return ids
                recs = [r for r in (ds.get(stream, i) for i in sorted(set(ids))) if r is not None]
            for param, field_name in parents.items():
                if not q.get(param):
                    continue
                pids = self._id_list(q[param], param)
                if isinstance(pids, Response):
                    return pids
                if recs is None:
                    if PARENT_FIELD.get(stream) == field_name:
                        cids = sorted({c for p in pids for c in ds.children_of(stream, p)})
                        recs = [ds.get(stream, c) for c in cids]
                    else:
                        wanted = set(pids)
                        recs = [
                            r for r in ds.list_view(stream, "Any") if r.get(field_name) in wanted
                        ]
                else:
                    wanted = set(pids)
                    recs = [r for r in recs if r.get(field_name) in wanted]
            if recs is None:
                recs = ds.list_view(stream, active)
            elif active != "Any":
                want = active == "True"
                recs = [r for r in recs if bool(r.get("active", True)) is want]
            for param, cmp in (
                ("modifiedOnOrAfter", "ge"),
                ("modifiedBefore", "lt"),
                ("createdOnOrAfter", "cge"),
                ("createdBefore", "clt"),
            ):
                if q.get(param):
                    try:
                        ms = parse_iso_ms(q[param])
                    except ValueError:
                        return bad_request(f"{param} is not a valid date-time")
                    key = "createdOn" if cmp.startswith("c") else "modifiedOn"
                    if cmp.endswith("ge"):
                        recs = [r for r in recs if parse_iso_ms(r[key]) >= ms]
                    else:
                        recs = [r for r in recs if parse_iso_ms(r[key]) < ms]
            strip = ("active",) if contacts else ()
            return self._page_out(recs, page, size, total, strip)

        return listing

    def _detail_handler(self, stream: str) -> Callable[[Request], Response]:
        ds = self.dataset

        def detail(req: Request) -> Response:
            rid = int(req.params[0])
            rec = ds.get(stream, rid)
            if rec is None:
                return error_response(404, f"{stream[:-1].capitalize()} with id {rid} not found")
            return json_response(rec)

        return detail

    def _per_parent_handler(self, stream: str, parent_field: str) -> Callable[[Request], Response]:
        ds = self.dataset

        def per_parent(req: Request) -> Response:
            paging = self._paging(req)
            if isinstance(paging, Response):
                return paging
            page, size, total = paging
            pid = int(req.params[0])
            recs = [ds.get(stream, c) for c in sorted(ds.children_of(stream, pid))]
            recs = [r for r in recs if r["active"]]
            return self._page_out(recs, page, size, total, ("active", parent_field))

        return per_parent

    def _child_handler(self, kind: ChildKind) -> Callable[[Request], Response]:
        def per_parent(req: Request) -> Response:
            paging = self._paging(req)
            if isinstance(paging, Response):
                return paging
            parent_id = self.children.parent_id(kind, req.params[0])
            records = self.children.answer(kind, parent_id, req.query)
            if isinstance(records, str):
                return bad_request(records)
            if kind.shape == "array":
                return json_response(records)
            if kind.shape == "one":
                if not records:
                    return error_response(404, f"No {kind.name} for {kind.parent} {parent_id}")
                return json_response(records[-1])
            return self._page_out(records, *paging)

        return per_parent

    def _token(self, req: Request) -> Response:
        with self._lock:
            self._counts["token"] += 1
        failure = self.faults.pop_token_failure()
        if failure is not None:
            return error_response(failure, "The authorization server is unavailable")
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        cid, secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = req.headers.get("authorization", "")
        if not cid and basic.lower().startswith("basic "):
            with contextlib.suppress(ValueError, binascii.Error, UnicodeDecodeError):
                cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if form.get("grant_type") != "client_credentials":
            return Response(400, orjson.dumps({"error": "unsupported_grant_type"}))
        if cid != self.client_id or secret != self.client_secret:
            return Response(400, orjson.dumps({"error": "invalid_client"}))
        life = self.faults.token_lifetime
        tok = self.issue_token(life)
        now = time.monotonic()
        with self._lock:
            if len(self._tokens) > 5000:
                self._tokens = {k: v for k, v in self._tokens.items() if v > now}
        return json_response(
            {
                "access_token": tok,
                "token_type": "Bearer",
                "expires_in": math.ceil(life),
                "scope": " ".join(
                    sorted(self.scopes if self.scopes is not None else self.all_scopes)
                ),
            }
        )

    def _control(self, req: Request) -> Response:
        what = req.path[len("/_sandbox/") :].strip("/")
        try:
            body = orjson.loads(req.body) if req.body.strip() else {}
        except orjson.JSONDecodeError:
            return bad_request("body must be JSON")
        if what == "health" and req.method == "GET":
            return json_response({"status": "ok", "records": self.dataset.total_records()})
        if what == "stats" and req.method == "GET":
            return json_response(self.counters | {"faults": self.faults.settings()})
        if what == "reset-counters" and req.method == "POST":
            self.reset_counters()
            return json_response({"ok": True})
        if what == "faults" and req.method == "POST":
            if body.get("reset"):
                self.faults.reset()
            else:
                try:
                    self.faults.configure(**body)
                except TypeError as exc:
                    return bad_request(f"unknown fault setting: {exc}")
            return json_response(self.faults.settings())
        if what == "corrupt" and req.method == "POST":
            try:
                self.faults.corrupt_next(**body)
            except (TypeError, ValueError) as exc:
                return bad_request(f"corrupt: {exc}")
            return json_response(self.faults.settings())
        if what == "reporting" and req.method == "POST":
            try:
                return json_response(self.reporting.configure(**body))
            except (TypeError, ValueError, StopIteration) as exc:
                return bad_request(f"reporting: {exc}")
        if what == "hide-from-export" and req.method == "POST":
            self.hide_from_export(str(body.get("stream", "")), body.get("ids") or [])
            return json_response(
                {"hidden": {k: sorted(v) for k, v in self.hidden_from_export.items()}}
            )
        if what == "mutate" and req.method == "POST":
            return json_response(
                self.mutate(
                    fraction=float(body.get("fraction", 0.01)), seed=int(body.get("seed", 1))
                )
            )
        return error_response(404, f"No sandbox route for {req.method} {req.path}")

    # ------------------------------------------------------------------ dispatch

    def dispatch(self, req: Request) -> Response:
        path = req.path
        if path == "/connect/token":
            if req.method != "POST":
                return error_response(405, f"Use POST for {path}")
            return self._token(req)
        if path.startswith("/_sandbox/"):
            return self._control(req)
        m = API_PATH.match(path)
        route, params = (None, ())
        if m:
            req.module, req.tenant, req.resource = m.group(1), m.group(2), m.group(3)
            route, params = self._match(req.module, req.resource)
        with self._lock:
            self._counts["requests"] += 1
            if route is not None:
                self._by_endpoint[route.key] += 1
        if route is None or req.method != route.method:
            return error_response(404, f"No sandbox route for {req.method} {req.raw_path}")
        req.params = params
        req.route = route
        return route.wrapped(req)

    def _record(self, req: Request, status: int, api: bool) -> None:
        with self._lock:
            self.request_log.append((req.method, req.raw_path, status))
            if not api:
                return
            if status == 0:
                self._counts["dropped"] += 1
            elif status == 429 or status in (401, 403):
                self._counts[str(status)] += 1
            elif status >= 500:
                self._counts["5xx"] += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def _make_handler(srv: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ServiceTitanSandbox/1.0"
        sys_version = ""
        disable_nagle_algorithm = True
        timeout = 300

        def setup(self) -> None:
            super().setup()
            with srv._lock:
                srv._counts["connections"] += 1
                srv._conns.add(self.connection)

        def finish(self) -> None:
            with contextlib.suppress(OSError):
                super().finish()
            with srv._lock:
                srv._conns.discard(self.connection)

        def log_message(self, format: str, *args: object) -> None:
            pass

        def date_time_string(self, timestamp: float | None = None) -> str:
            """``Date``: the tenant's simulated clock, as ``modifiedOn`` values are."""
            return email.utils.formatdate(srv.dataset.now_ms / 1000, usegmt=True)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            req = Request(self.command, unquote(parts.path), query, headers, body)
            req.raw_path = self.path
            api = not (req.path == "/connect/token" or req.path.startswith("/_sandbox/"))
            try:
                resp = srv.dispatch(req)
            except Exception as exc:  # a sandbox bug: answer loudly, keep serving
                resp = error_response(500, f"Sandbox internal error: {type(exc).__name__}: {exc}")
            if resp.drop:
                srv._record(req, 0, api)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            srv._record(req, resp.status, api)
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(resp.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle  # noqa: N815

    return Handler
