"""Templates and static files at the top of the repository are found by Django both in this
(editable) install and from a wheel installed into a clean virtualenv.

``schemaswitch_admin/templates`` and ``schemaswitch_admin/static`` are symlinks to the top-level
folders, which stay what the repository shows; the sdist and the wheel carry the linked files
themselves, so neither an install from the wheel nor a wheel built from the sdist (what pip
does with an sdist) depends on symlinks."""

import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import get_template

ROOT = Path(__file__).resolve().parent.parent


def repo_files(top):
    base = ROOT / top
    return sorted(
        str(p.relative_to(base)) for p in base.rglob("*") if p.is_file() and p.name != ".keep"
    )


def test_every_template_is_found_in_the_editable_install():
    templates = [t for t in repo_files("templates") if t.endswith((".html", ".txt"))]
    assert templates, "no templates in templates/"
    for name in templates:
        origin = Path(get_template(name).origin.name).resolve()
        assert origin == (ROOT / "templates" / name).resolve(), name


def test_every_static_file_is_found_in_the_editable_install():
    files = repo_files("static")
    assert files, "no files in static/"
    for name in files:
        assert finders.find(name), name


@pytest.mark.slow
def test_wheel_carries_templates_and_static_and_django_finds_them(tmp_path):
    dist = tmp_path / "dist"
    # No --wheel: build makes the sdist, then the wheel from the unpacked sdist.
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1]: m for m in archive.getmembers() if "/" in m.name}
    for top in ("templates", "static"):
        for rel in repo_files(top):
            member = members.get(f"schemaswitch_admin/{top}/{rel}")
            assert member is not None and member.isfile(), rel
    (wheel,) = dist.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for top in ("templates", "static"):
        for rel in repo_files(top):
            assert f"schemaswitch_admin/{top}/{rel}" in names, rel
    assert not any(n.startswith(("tests/", "example/")) for n in names)
    # PEP 561: type checkers use the package's own annotations.
    assert "schemaswitch_admin/py.typed" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True
    )
    probe = textwrap.dedent(
        f"""
        import django
        from django.conf import settings
        settings.configure(
            INSTALLED_APPS=["schemaswitch_admin", "django.contrib.admin", "django.contrib.auth",
                            "django.contrib.contenttypes", "django.contrib.sessions",
                            "django.contrib.messages", "django.contrib.staticfiles"],
            TEMPLATES=[{{"BACKEND": "django.template.backends.django.DjangoTemplates",
                        "APP_DIRS": True}}],
            STATIC_URL="/static/",
        )
        django.setup()
        import schemaswitch_admin
        from django.contrib.staticfiles import finders
        from django.template.loader import get_template
        assert "site-packages" in schemaswitch_admin.__file__, schemaswitch_admin.__file__
        for name in {[t for t in repo_files("templates") if t.startswith("schemaswitch_admin/")]!r}:
            get_template(name)
        for name in {repo_files("static")!r}:
            assert finders.find(name), name
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [str(py), "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
