"""The REST API's platform parts: bearer-token auth, scopes, throttles, problem+json errors,
pagination and the OpenAPI schema. Domain endpoints (``cases/api``) build on these."""
