"""A mutant of our backend with the peers' bug: it keeps its recorded path across a
savepoint rollback, and ignores what the server reports. The hardening load must catch it."""

from schemaswitch_admin.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        self.schema_path.connected(connection, trust_reports=False)
        return connection

    def _savepoint_rollback(self, sid: str) -> None:
        known = self.schema_path._known
        super()._savepoint_rollback(sid)
        self.schema_path._known = known
