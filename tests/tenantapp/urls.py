from django.urls import path

from . import cached_views, views

urlpatterns = [
    path("projects/", views.project_list, name="project-list"),
    path("projects/plain/", views.project_names, name="project-names"),
    path("projects/async/", views.project_list_async, name="project-list-async"),
    path("projects/stream/", views.project_stream, name="project-stream"),
    path("projects/astream/", views.project_stream_async, name="project-astream"),
    path("projects/cbv/", views.ProjectListView.as_view(), name="project-cbv"),
    path("projects/acbv/", views.AsyncProjectListView.as_view(), name="project-acbv"),
    path("projects/boom/", views.project_boom, name="project-boom"),
    path("projects/<int:pk>/rename/", views.project_rename, name="project-rename"),
    path("state/", views.request_state, name="request-state"),
    path("cached/page/", cached_views.cached_page, name="cached-page"),
    path("cached/value/", cached_views.cached_value, name="cached-value"),
    path("cached/fragment/", cached_views.cached_fragment, name="cached-fragment"),
    path("state/exempt/", views.request_state_exempt, name="request-state-exempt"),
    path("raw/", views.raw_upload, name="raw-upload"),
]
