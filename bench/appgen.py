"""A generated private app, ``benchgen``, whose history length is a parameter.

The final tables are the same whatever the number of migrations: the first migration
creates the models with a name and a code, the others add the remaining fields, foreign
keys and indexes, spread evenly. That lets the benchmarks compare "5 migrations" with "50
migrations" for the same schema. ``extra=True`` adds one more migration, an ``AddField``
with a default plus an ``AddIndex``: the "one new migration" of a deploy.

Written as source files into a directory that the children put on ``sys.path``
(``BENCH_GEN_DIR``); the models module always matches the last migration, so Django sees no
pending model changes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

LABEL = "benchgen"
MODELS = 8

#: Fields added after the first migration: (name, field source).
_FIELDS = [
    ("amount", "models.IntegerField(default=0)"),
    ("price", "models.DecimalField(max_digits=10, decimal_places=2, default=0)"),
    ("created", "models.DateTimeField(null=True)"),
    ("active", "models.BooleanField(default=True)"),
    ("notes", "models.TextField(blank=True, default='')"),
]
#: The new field and index of the extra migration (on the first model).
EXTRA_FIELD = ("score", "models.IntegerField(default=0)")
EXTRA_INDEX = "benchgen_item0_score"


def model_name(i: int) -> str:
    return f"Item{i}"


def table_name(i: int) -> str:
    return f"{LABEL}_item{i}"


def _operations_after_first() -> list[str]:
    ops = []
    for i in range(MODELS):
        for name, field in _FIELDS:
            ops.append(
                f"migrations.AddField(model_name='item{i}', name='{name}', field={field})"
            )
        if i:
            ops.append(
                f"migrations.AddField(model_name='item{i}', name='parent', "
                f"field=models.ForeignKey(null=True, on_delete=models.CASCADE, "
                f"to='{LABEL}.item{i - 1}'))"
            )
        ops.append(
            f"migrations.AddIndex(model_name='item{i}', index=models.Index("
            f"fields=['amount', 'active'], name='{LABEL}_item{i}_amount'))"
        )
    return ops


def max_migrations() -> int:
    return len(_operations_after_first()) + 1


def _create_models() -> list[str]:
    return [
        f"migrations.CreateModel(name='{model_name(i)}', fields=["
        "('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, "
        "verbose_name='ID')), "
        "('name', models.CharField(max_length=100)), "
        "('code', models.CharField(max_length=20, unique=True))])"
        for i in range(MODELS)
    ]


def _migration(number: int, operations: list[str], previous: str | None) -> str:
    deps = f"[('{LABEL}', '{previous}')]" if previous else "[]"
    body = "".join(f"        {op},\n" for op in operations)
    return (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    initial = {number == 1}\n"
        f"    dependencies = {deps}\n"
        f"    operations = [\n{body}    ]\n"
    )


def _models_source(extra: bool) -> str:
    out = ["from django.db import models\n"]
    for i in range(MODELS):
        out.append(f"\nclass {model_name(i)}(models.Model):")
        out.append("    name = models.CharField(max_length=100)")
        out.append("    code = models.CharField(max_length=20, unique=True)")
        for name, field in _FIELDS:
            out.append(f"    {name} = {field}")
        if i:
            out.append(
                f"    parent = models.ForeignKey('{model_name(i - 1)}', null=True, "
                "on_delete=models.CASCADE)"
            )
        indexes = [f"models.Index(fields=['amount', 'active'], name='{LABEL}_item{i}_amount')"]
        if extra and i == 0:
            out.append(f"    {EXTRA_FIELD[0]} = {EXTRA_FIELD[1]}")
            indexes.append(f"models.Index(fields=['{EXTRA_FIELD[0]}'], name='{EXTRA_INDEX}')")
        out.append("\n    class Meta:")
        out.append(f"        indexes = [{', '.join(indexes)}]")
        out.append("")
    return "\n".join(out) + "\n"


def migration_names(migrations: int, extra: bool = False) -> list[str]:
    names = [f"{n:04d}_step" for n in range(1, migrations + 1)]
    if extra:
        names.append(f"{migrations + 1:04d}_add_score")
    return names


def write_app(root: Path, *, migrations: int = 6, extra: bool = False) -> Path:
    """Write ``benchgen`` into ``root`` (replacing an earlier version) and return ``root``.

    ``migrations`` (at least 1, at most ``max_migrations()``) is the length of the history
    that produces the final tables; ``extra`` adds the deploy's new migration after it.
    """
    later = _operations_after_first()
    if not 1 <= migrations <= len(later) + 1:
        raise ValueError(f"migrations must be between 1 and {len(later) + 1}")
    app = root / LABEL
    shutil.rmtree(app, ignore_errors=True)
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "models.py").write_text(_models_source(extra))
    chunks: list[list[str]] = [_create_models()]
    steps = migrations - 1
    if steps:
        size, rest = divmod(len(later), steps)
        start = 0
        for n in range(steps):
            end = start + size + (1 if n < rest else 0)
            chunks.append(later[start:end])
            start = end
    else:
        chunks[0] += later
    if extra:
        chunks.append(
            [
                f"migrations.AddField(model_name='item0', name='{EXTRA_FIELD[0]}', "
                f"field={EXTRA_FIELD[1]})",
                f"migrations.AddIndex(model_name='item0', index=models.Index("
                f"fields=['{EXTRA_FIELD[0]}'], name='{EXTRA_INDEX}'))",
            ]
        )
    names = migration_names(migrations, extra)
    previous = None
    for number, (name, operations) in enumerate(zip(names, chunks, strict=True), 1):
        (app / "migrations" / f"{name}.py").write_text(_migration(number, operations, previous))
        previous = name
    return root
