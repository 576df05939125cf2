from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from projects.demo_data import USERS

urlpatterns = [
    path("", include("projects.urls")),
    # The chooser page and the switch view (POST) of the request layer.
    path("schemas/", include("schemaswitch_admin.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="projects/login.html",
            # The demo's page shows its own logins (never do this on a real site).
            extra_context={"title": _("Log in"), "demo_users": USERS},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

if "debug_toolbar" in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
