import pytest


@pytest.fixture(autouse=True)
def _no_schema_leaks_between_tests():
    """Every test starts and ends with no schema active; a test that leaves one active fails."""
    from schemaswitch_admin import deactivate_schema, get_active_schema

    deactivate_schema()
    yield
    leaked = get_active_schema()
    deactivate_schema()
    assert leaked is None, f"test left schema {leaked!r} active"
