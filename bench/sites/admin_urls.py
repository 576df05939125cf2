from django.contrib import admin
from django.urls import include, path

import schemaswitch_admin.admin  # noqa: F401  (registers the Schema and Membership admins)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("schemas/", include("schemaswitch_admin.urls")),
]
