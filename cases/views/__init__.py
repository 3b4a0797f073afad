"""Staff web UI of the cases domain: thin views over ``cases.selectors`` and the services.

Split by page: ``queue`` (the work list), ``case`` (one case and its action posts),
``intake`` (process that arrived by e-mail, fax or post) and ``files`` (document downloads).
"""
