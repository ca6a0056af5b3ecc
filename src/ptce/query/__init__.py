"""Users' SPARQL queries: the guard, the walled-in query processes that run them, the cache of answers."""
