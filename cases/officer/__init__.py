"""What officers see of their agency's requests: the officer portal pages (``views``) and
the reads the portal and the REST API (``cases.api``) share (``selectors``)."""
