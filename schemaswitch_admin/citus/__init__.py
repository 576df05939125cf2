"""Running on Citus schema-based sharding: each tenant schema a distributed schema, whole on
one worker node, movable between nodes.

Everything here is inert on plain PostgreSQL: the package notices Citus by its extension in
the database, and only ``citus_setup`` and ``move_schema`` require it. ``docs/scale-out.md``
says when to move to Citus and what it forbids.
"""
