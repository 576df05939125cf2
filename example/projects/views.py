"""The demo's pages. Each one reads the active schema's tables with plain ORM code: the
request layer has already chosen the schema, checked the membership and activated it."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from schemaswitch_admin.decorators import schema_required

from .models import Client, Project, Task


@login_required
@schema_required
def dashboard(request: HttpRequest) -> HttpResponse:
    # Aggregating queries ignore Meta.ordering, hence the explicit order_by().
    projects = (
        Project.objects.select_related("client", "owner")
        .annotate(open_tasks=Count("tasks", filter=Q(tasks__done=False)))
        .order_by("client__name", "name")
    )
    my_tasks = (
        Task.objects.filter(assignees=request.user, done=False)
        .select_related("project")
        .order_by("project__name", "title")
    )
    return render(
        request,
        "projects/dashboard.html",
        {
            "clients": Client.objects.annotate(project_count=Count("projects")).order_by("name"),
            "projects": projects,
            "my_tasks": my_tasks,
            "title": str(request.schema),
        },
    )


@login_required
@schema_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # A pk means a row of the active schema: pk 1 is another project in another schema.
    project = get_object_or_404(Project.objects.select_related("client", "owner"), pk=pk)
    tasks = project.tasks.prefetch_related("assignees")
    context = {
        "project": project,
        "tasks": tasks,
        "title": project.name,
        # Switching schema from this page returns to the dashboard: this pk means another
        # project (or none) in the other schema.
        "switch_next": reverse("projects:dashboard"),
    }
    return render(request, "projects/project_detail.html", context)
