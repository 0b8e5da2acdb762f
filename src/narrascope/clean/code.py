"""Script, style and data text that leaked into a page's text, recognised line by line (#15).

A page's scripts should stay in `<script>` elements, which extraction skips; but some pages
print them as text (a broken tag, a CMS that escapes the markup, a scraper that kept
everything): `window.__INITIAL_STATE__ = {…}`, JSON-LD, `googletag.cmd.push(…)`, CSS rules.
Such a line must never reach the body, where an analyzer would cite it as evidence.
`code_reason(line)` names what kind of code a whole line is, or None for a line of text; the
HTML and plain-text cleaners drop such lines and record the reason.
"""

from __future__ import annotations

import json
import re

SCRIPT, DATA, STYLE = "script text", "inline data (JSON)", "style sheet text"
SHORTCODE = "shortcode markup"

_SCRIPT_START = re.compile(
    r"^\s*(</?script\b|window\.|document\.|var\s+\w|let\s+\w|const\s+\w|function\s*\w*\s*\(|!function\s*\("
    r"|\(function\s*\(|\(\(\)\s*=>|\$\(|jQuery\s*\(|googletag\.|dataLayer\.|_gaq\.|gtag\s*\("
    r"|fbq\s*\(|ga\s*\(\s*['\"]|self\.__\w+|__NEXT_DATA__|if\s*\(.*\)\s*\{|for\s*\(.*\)\s*\{"
    r"|try\s*\{|return\s+[\w$.]+\s*[;(]|[\w$.]+\s*=\s*[\w$.]+\s*\|\|\s*(\{\}|\[\]))"
)
_CSS_RULE = re.compile(
    r"^\s*(</?style\b|@(media|font-face|import|keyframes|supports|charset)\b"
    r"|[.#]?[\w\-\[\]=\"':>~+*., ]{1,200}\{\s*[\w\-]+\s*:\s*[^{}]+\}?)"
)
# A CMS shortcode printed as text: `[button link="…" newwindow="yes"] Send us …[/button]`.
_SHORTCODE = re.compile(r"^\[/?[a-z][\w-]*(\s+[\w-]+\s*=\s*[\"“”'][^\]]*)+\]|^\[/[a-z][\w-]*\]$")
# One member of pretty-printed JSON: `"@type": "NewsArticle",` (keys hold no spaces).
_JSON_MEMBER = re.compile(r'^"[\w@$.\-]+"\s*:\s*("|\d|\[|\{|true|false|null).*,?$')
_CODE_CHARS = frozenset("{}[]();=<>$\\")  # not "|": tables and title bars are full of it


def code_reason(line: str) -> str | None:
    """What kind of code a whole (stripped) line of page text is, or None if it may be text."""
    text = line.strip()
    if len(text) < 8:
        return None
    symbols = sum(ch in _CODE_CHARS for ch in text)
    if (text[0] in "{[" and _is_json(text.rstrip(";"))) or _JSON_MEMBER.match(text):
        return DATA
    if _SHORTCODE.match(text):
        return SHORTCODE
    if _SCRIPT_START.match(text) and (symbols >= 3 or text.endswith(";")):
        return SCRIPT
    if _CSS_RULE.match(text) and ":" in text and ("{" in text or text.startswith("@")):
        return STYLE
    # Minified code of any kind: dense with brackets and semicolons, where prose has none.
    if symbols >= 8 and symbols / len(text) >= 0.08 and (";" in text or "{" in text):
        return SCRIPT
    return None


def _is_json(text: str) -> bool:
    if '":' not in text and "@context" not in text:
        return False
    try:
        value = json.loads(text)
    except ValueError:
        return '"@context"' in text or '"@type"' in text  # JSON-LD cut short is still data
    return isinstance(value, dict | list) and bool(value)
