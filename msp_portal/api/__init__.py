"""REST API v1: the same services and tenancy as the pages, for scripts and integrations."""
