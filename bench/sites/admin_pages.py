"""schemaswitch_admin with its admin and request-layer URLs, for the admin pages part."""

from .schemaswitch import *  # noqa: F403

ROOT_URLCONF = "bench.sites.admin_urls"
