"""The ``regua`` developer and operator command."""
