"""The project the hardening tests serve with real servers (gunicorn, uvicorn).

Every response that shows private rows is JSON naming the schema the middleware chose, and
every row's content names the schema it was written in, so a client can tell from each
response alone whether it saw rows it must not see.
"""
