"""Include with ``path("schemas/", include("schemaswitch_admin.urls"))``."""

from django.urls import path

from . import views

app_name = "schemaswitch_admin"

urlpatterns = [
    path("switch/", views.switch, name="switch"),
    path("choose/", views.choose, name="choose"),
]
