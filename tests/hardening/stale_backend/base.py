from schemaswitch_admin.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def _savepoint_rollback(self, sid: str) -> None:
        known = self._path_schema
        super()._savepoint_rollback(sid)
        self._path_schema = known
