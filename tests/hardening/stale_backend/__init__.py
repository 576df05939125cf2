"""A deliberately broken copy of the backend for the tests that prove the harness can fail:
it keeps its cached path across a savepoint rollback, the bug a peer shipped."""
