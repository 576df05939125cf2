"""Views that cache what they show, the three ways Django offers: the page, a value, a
template fragment. Each shows the active schema's project names."""

from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_page

from schemaswitch_admin.decorators import schema_required

from .models import Project


def _names() -> str:
    return ",".join(Project.objects.values_list("name", flat=True))


@cache_page(300)  # outermost, as often written: a cached page is served before any guard
@schema_required
def cached_page(request):
    return HttpResponse(_names(), content_type="text/plain")


@schema_required
def cached_value(request):
    return HttpResponse(cache.get_or_set("dashboard", _names, 300), content_type="text/plain")


@schema_required
def cached_fragment(request):
    return render(request, "tenantapp/fragment.html", {"names": _names})
