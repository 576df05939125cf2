"""The demo's private data: every schema (one per customer company) has its own copy.

Relations point inside the schema (task -> project -> client) and out to the shared user
(project owner, task assignees), never from a shared table back in: the same user row is a
project owner in one schema and an assignee in another.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Client(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        ACTIVE = "active", _("active")
        DONE = "done", _("done")

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="projects", verbose_name=_("client")
    )
    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["client__name", "name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            # A client never has two projects of the same name (per schema, like every
            # constraint of a private model).
            models.UniqueConstraint(fields=["client", "name"], name="project_unique_per_client"),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="project_status_due")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:project", args=[self.pk])


class Task(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("project")
    )
    title = models.CharField(_("title"), max_length=200)
    done = models.BooleanField(_("done"), default=False)
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("assignees")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["done", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(fields=["project", "title"], name="task_unique_per_project"),
        ]
        indexes = [models.Index(fields=["project", "done"], name="task_project_done")]

    def __str__(self) -> str:
        return self.title
