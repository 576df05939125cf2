"""The schema marker in URL paths: ``/@acme/admin/...`` is ``/admin/...`` run in ``acme``.

The session is shared by every tab of a browser, so a page cannot rely on it to remember
which schema it was rendered in. A marker in the URL can: the middleware strips it before URL
resolution and puts it into Django's script prefix, so every ``reverse()`` made while
answering (the admin's links, form actions and redirects included) carries it, and whatever
that page leads to acts in the same schema, whatever another tab chose since.

The marker is the first path segment after the script prefix: ``SCHEMASWITCH_URL_MARKER``
(``"@"`` by default) followed by the schema name.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.http import HttpRequest
from django.utils.encoding import escape_uri_path

from . import conf


def split_marker(path_info: str) -> tuple[str | None, str]:
    """The schema name a path is marked with (``None``: unmarked) and the path without it."""
    marker = conf.url_marker()
    if not marker or not path_info.startswith("/" + marker):
        return None, path_info
    segment, slash, rest = path_info[1 + len(marker) :].partition("/")
    if not segment:
        return None, path_info
    return segment, "/" + rest if slash else "/"


def marked_prefix(prefix: str, name: str) -> str:
    """``prefix`` (a script prefix, ending with ``/``) followed by ``name``'s marker."""
    return f"{prefix}{conf.url_marker()}{name}/"


def _rebuild(url: str, prefix: str, name: str | None, *, insert: bool) -> str:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix):
        return url
    rest = "/" + parts.path[len(prefix) :]
    marked, unmarked_rest = split_marker(rest)
    if marked is None and not insert:
        return url
    path = prefix + (f"{conf.url_marker()}{name}/" if name else "") + unmarked_rest[1:]
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def with_marker(url: str, name: str | None, prefix: str = "/") -> str:
    """On-site ``url`` bound to ``name`` (its marker replaced, or added), or unbound when
    ``name`` is ``None``. Other URLs, and every URL while markers are off, come back as is."""
    if not conf.url_marker():
        return url
    return _rebuild(url, prefix, name, insert=True)


def rebind(url: str, name: str | None, prefix: str = "/") -> str:
    """``url`` moved to ``name`` when it is bound to a schema; an unbound URL stays unbound
    (it follows the session's choice, which is what the caller has just changed)."""
    if not conf.url_marker():
        return url
    return _rebuild(url, prefix, name, insert=False)


def request_url_in(request: HttpRequest, name: str | None) -> str:
    """The URL ``request`` asked for, bound to ``name``, without the query parameter that
    asked to open it there. Built from the script prefix and the stripped path, so a path
    such as ``//evil.example/`` stays a path on this site (``/@acme//evil.example/``)."""
    from .selection import QUERY_PARAMETER

    prefix = getattr(request, "schemaswitch_script_prefix", "/")
    path_info = escape_uri_path(request.path_info)
    if name:
        path = marked_prefix(prefix, name) + path_info[1:]
    else:
        path = prefix + path_info.lstrip("/")
    query = request.GET.copy()
    query.pop(QUERY_PARAMETER, None)
    return path + ("?" + query.urlencode() if query else "")
