"""A private (per-schema) app with the relations a real tenant app has."""

from django.conf import settings
from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=100, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    def __str__(self):
        return self.name


class Note(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="notes")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    priority = models.PositiveSmallIntegerField(default=0)
    tags = models.ManyToManyField(Tag, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["project", "title"], name="note_project_title")]
        constraints = [
            models.UniqueConstraint(fields=["project", "title"], name="note_unique_title"),
            models.CheckConstraint(condition=models.Q(priority__lte=10), name="note_priority_max"),
        ]

    def __str__(self):
        return self.title
