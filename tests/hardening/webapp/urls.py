from django.urls import include, path

from . import views

urlpatterns = [
    path("hk/health/", views.health),
    path("hk/login/", views.login_json),
    path("hk/rows/", views.rows),
    path("hk/arows/", views.arows),
    path("hk/conn/", views.conn_state),
    path("hk/add/", views.add_row),
    path("hk/slow/", views.slow),
    path("hk/sabotage/set/", views.sabotage_set),
    path("hk/sabotage/savepoint/", views.sabotage_savepoint),
    path("hk/sabotage/rollback/", views.sabotage_rollback),
    path("hk/sabotage/raise/", views.sabotage_raise),
    path("schemas/", include("schemaswitch_admin.urls")),
]
