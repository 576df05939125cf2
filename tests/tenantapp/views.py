"""Views of the test project that show private rows, so tests can see which schema a
response came from. Every schema used in the request-layer tests holds rows whose names
say which schema they belong to."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from schemaswitch_admin import get_active_schema
from schemaswitch_admin.decorators import SchemaRequiredMixin, schema_required

from .models import Project


def _listing(names):
    return f"active={get_active_schema()}\n" + "\n".join(names)


@schema_required
def project_list(request):
    return HttpResponse(
        _listing(Project.objects.values_list("name", flat=True)), content_type="text/plain"
    )


@login_required
def project_names(request):
    """No schema guard: the same view can run with or without the middleware."""
    return HttpResponse(
        _listing(Project.objects.values_list("name", flat=True)), content_type="text/plain"
    )


@schema_required
async def project_list_async(request):
    names = [name async for name in Project.objects.values_list("name", flat=True)]
    return JsonResponse(
        {
            "active": get_active_schema(),
            "schema": request.schema.name,
            "source": request.schema_choice_source,
            "names": names,
        }
    )


@schema_required
def project_stream(request):
    """Queries while the body is being sent, after the middleware has returned."""

    def rows():
        yield f"active={get_active_schema()}\n"
        for name in Project.objects.values_list("name", flat=True):
            yield name + "\n"

    return StreamingHttpResponse(rows(), content_type="text/plain")


@schema_required
async def project_stream_async(request):
    async def rows():
        yield f"active={get_active_schema()}\n"
        async for name in Project.objects.values_list("name", flat=True):
            yield name + "\n"

    return StreamingHttpResponse(rows(), content_type="text/plain")


def request_state(request):
    """What the middleware decided, for any user (no guard)."""
    schema = request.schema
    return JsonResponse(
        {
            "active": get_active_schema(),
            "schema": None if schema is None else schema.name,
            "source": request.schema_choice_source,
        }
    )


request_state_exempt = csrf_exempt(request_state)


class ProjectListView(SchemaRequiredMixin, View):
    def get(self, request):
        return HttpResponse(_listing(Project.objects.values_list("name", flat=True)))


class AsyncProjectListView(SchemaRequiredMixin, View):
    async def get(self, request):
        names = [name async for name in Project.objects.values_list("name", flat=True)]
        return HttpResponse(_listing(names))


class Boom(Exception):
    pass


@schema_required
def project_boom(request):
    """Fails inside the schema: the middleware must still leave it."""
    list(Project.objects.all())
    raise Boom(get_active_schema())


@schema_required
def project_rename(request, pk):
    """A project's own form, outside the admin. Its first form posts to a ``reverse()``d
    action (bound when the page is); the second to a hard-coded path with ``{% schema_token
    %}``. Both land back on the list."""
    project = get_object_or_404(Project, pk=pk)
    if request.method == "POST":
        project.name = request.POST["name"]
        project.save()
        return HttpResponseRedirect(reverse("project-list"))
    return render(request, "tenantapp/rename.html", {"project": project})


@csrf_exempt
def raw_upload(request):
    """Reads the raw body, as upload endpoints and webhooks do: nothing may have parsed it."""
    return JsonResponse({"size": len(request.body), "schema": get_active_schema()})
