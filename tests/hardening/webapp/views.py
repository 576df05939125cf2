"""Views for the servers. The ``sabotage`` views are user code doing what user code may do
to a connection: its own ``SET search_path``, savepoint and transaction rollbacks after
working in another schema, an exception in the middle of a transaction. None of them may
make this request or a later one show rows of a schema its user is not in."""

import uuid

from django.contrib.auth import authenticate, login
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from psycopg import sql

from schemaswitch_admin import get_active_schema, schema_context
from schemaswitch_admin.decorators import schema_required
from schemaswitch_admin.validation import validate_schema_name
from tests.tenantapp.models import Project


class Abandon(Exception):
    """Raised by user code to give up a transaction."""


def _rows() -> list[str]:
    return list(Project.objects.order_by("name").values_list("name", flat=True))


def _answer(request, rows, **extra) -> JsonResponse:
    return JsonResponse(
        {"schema": request.schema.name, "active": get_active_schema(), "rows": rows, **extra}
    )


def _other(request) -> str:
    """Another schema the user code works in (valid names only: the client chooses it)."""
    return validate_schema_name(request.GET.get("to", ""))


def health(request):
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def login_json(request):
    user = authenticate(
        request, username=request.POST.get("username"), password=request.POST.get("password")
    )
    if user is None:
        return JsonResponse({"ok": False}, status=403)
    login(request, user)
    return JsonResponse({"ok": True})


@schema_required
def rows(request):
    return _answer(request, _rows())


@schema_required
async def arows(request):
    names = [n async for n in Project.objects.order_by("name").values_list("name", flat=True)]
    return _answer(request, names)


@schema_required
def conn_state(request):
    """The rows plus which server connection served them and its path."""
    names = _rows()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_setting('search_path')")
        pid, path = cursor.fetchone()
    return _answer(request, names, pid=pid, search_path=path)


@schema_required
def slow(request):
    """A request that is surely in flight when the test restarts PostgreSQL."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [min(float(request.GET.get("s", "1")), 10.0)])
    return _answer(request, _rows())


@csrf_exempt
@require_POST
@schema_required
def add_row(request):
    """A write in an explicit transaction that also reads another schema on the way (when
    ``to`` names one): the row must land in the request's schema, named after it."""
    with transaction.atomic():
        project = Project.objects.create(
            name=f"{request.schema.name}|added-{uuid.uuid4().hex[:12]}"
        )
        if request.GET.get("to"):
            with schema_context(_other(request)):
                list(Project.objects.values_list("name", flat=True)[:1])
        names = _rows()
    return _answer(request, names, added=project.name)


@schema_required
def sabotage_set(request):
    """User code sets its own session-level path and leaves it on the connection."""
    other = _other(request)
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SET search_path TO {}, public").format(sql.Identifier(other)))
    return _answer(request, [])


@schema_required
def sabotage_savepoint(request):
    """A savepoint taken while another schema was active, rolled back after this request's
    schema was entered: PostgreSQL's path is the other schema's again, and a backend that
    trusted its cache (the peers' stale-path bug) would read the other schema's rows."""
    other = _other(request)
    with transaction.atomic():
        with schema_context(other):
            # Work in the other schema first: its path is on the connection when the
            # savepoint is taken (the backend sends no SET for the SAVEPOINT itself).
            list(Project.objects.values_list("name", flat=True)[:1])
            sid = transaction.savepoint()
        _rows()
        transaction.savepoint_rollback(sid)
        names = _rows()
    return _answer(request, names)


@schema_required
def sabotage_rollback(request):
    """A rolled-back transaction whose path was set inside it: PostgreSQL goes back to the
    path set before it (another schema's), the next query must not trust the cache."""
    other = _other(request)
    with schema_context(other):
        list(Project.objects.values_list("name", flat=True)[:1])
    try:
        with transaction.atomic():
            _rows()
            raise Abandon
    except Abandon:
        pass
    return _answer(request, _rows())


@schema_required
def sabotage_raise(request):
    """Fails mid-transaction after writing a row and working in another schema: a 500."""
    other = _other(request)
    with transaction.atomic():
        Project.objects.create(name=f"{request.schema.name}|doomed")
        with schema_context(other):
            list(Project.objects.values_list("name", flat=True)[:1])
        raise Abandon(other)
