"""The development helpers (``schemaswitch_admin.dev``: the embedded PostgreSQL, ``DATABASES``
from ``DATABASE_URL``) are not part of the runtime: importing every other module of the
package, in a process whose settings do not use them, loads none of them."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import schemaswitch_admin

PACKAGE = Path(schemaswitch_admin.__file__).resolve().parent

PROBE = textwrap.dedent(
    """
    import importlib, json, sys
    from pathlib import Path

    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["schemaswitch_admin", "django.contrib.admin", "django.contrib.auth",
                        "django.contrib.contenttypes", "django.contrib.sessions",
                        "django.contrib.messages", "django.contrib.staticfiles"],
        DATABASES={"default": {"ENGINE": "schemaswitch_admin.backends.postgresql",
                               "NAME": "never_connected"}},
        DATABASE_ROUTERS=["schemaswitch_admin.routers.SchemaRouter"],
        ROOT_URLCONF="schemaswitch_admin.urls",
    )
    django.setup()
    package = Path(sys.argv[1])
    imported = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[1] == "dev":
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        importlib.import_module(name)
        imported.append(name)
    loaded_dev = sorted(m for m in sys.modules if m.startswith("schemaswitch_admin.dev"))
    print(json.dumps({"imported": imported, "dev": loaded_dev}))
    """
)


def test_no_runtime_module_imports_the_development_helpers():
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(PACKAGE)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # The probe really walked the package (the backend, the middleware, every command).
    assert {
        "schemaswitch_admin.backends.postgresql.base",
        "schemaswitch_admin.middleware",
        "schemaswitch_admin.management.commands.migrate",
        "schemaswitch_admin.testing.plugin",
    } <= set(report["imported"])
    assert report["dev"] == []
