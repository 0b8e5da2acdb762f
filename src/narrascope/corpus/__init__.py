"""Cross-document views computed from the store: storylines, counts, copies, quotes, profiles, search.

One module per view. Each public function takes a `Store` and returns small dataclasses, so a
web page, its JSON route, the CLI and the HTML report all call the same function.
"""
