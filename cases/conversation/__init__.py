"""Messages on a request: one thread per request between the agency and the provider."""
