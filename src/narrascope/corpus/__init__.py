"""Cross-document views computed from the store: storylines, counts, copies, quotes, profiles, search.

One module per view. Each public function takes a `Store` and returns small dataclasses, so a
web page, its JSON route, the CLI and the HTML report all call the same function. A view whose
tables have not been computed for this database yet raises `NotComputed`; every other error is
a bug and propagates.
"""


class NotComputed(LookupError):
    """A view's data has not been computed for this database yet (the message says how to)."""
