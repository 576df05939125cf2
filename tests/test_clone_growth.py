"""A clone costs the same statements whatever the number of schemas already there.

Anything the package sends per clone that depended on the fleet (a lookup per existing
schema, a list of every schema, a query whose text grows with it) would make creating the
10,000th schema slower than the first; counting and comparing the statements catches it
without a clock.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schemaswitch_admin.models import Schema

SAVEPOINT_NAME = re.compile(r'"s\d+_x\d+"')
TIMESTAMP = re.compile(r"'\d{4}-\d\d-\d\d [\d:.+]+'")


def statements_of_one_creation(name):
    # The same statement before each measured creation, so both start from the same path.
    Schema.objects.exists()
    with CaptureQueriesContext(connection) as ctx:
        Schema.objects.create_schema(name)
    # Savepoint names carry a counter and the row its creation time; the new schema's name
    # is the one other thing that differs.
    return [
        TIMESTAMP.sub("<now>", SAVEPOINT_NAME.sub("<savepoint>", q["sql"])).replace(name, "<new>")
        for q in ctx.captured_queries
    ]


@pytest.mark.django_db
def test_statements_per_clone_do_not_depend_on_the_number_of_schemas():
    for i in range(3):
        Schema.objects.create_schema(f"g_few{i}")
    with_3 = statements_of_one_creation("g_probe_a")
    for i in range(26):
        Schema.objects.create_schema(f"g_many{i}")

    with_30 = statements_of_one_creation("g_probe_b")

    assert Schema.objects.count() >= 30
    assert len(with_30) == len(with_3)
    assert with_30 == with_3
    # Two savepoints (the row's and the clone's) and their releases, the row, the
    # fingerprint of the template's catalog, the script: nothing per existing schema.
    assert len(with_3) <= 7, with_3
