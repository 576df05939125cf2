"""The view every setup serves: the signed-in user's list of clients in their tenant."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    from projects.models import Client

    return render(request, "bench/client_list.html", {"clients": Client.objects.all()})
