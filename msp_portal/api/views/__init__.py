"""API views: thin classes over ``for_user`` querysets and the services."""
