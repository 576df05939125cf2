from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("schemas/", include("schemaswitch_admin.urls")),
    path("tenant/", include("tests.tenantapp.urls")),
]
