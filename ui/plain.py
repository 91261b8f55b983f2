"""User-typed text inside Streamlit's markdown (titles, captions, labels) shown as plain text."""

from __future__ import annotations

import re

# Every character that starts markdown, a directive (:red[...]), an image or link, HTML or maths.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$])")


# Markdown turns a bare address into a link however it is escaped (GFM autolinks): an
# invisible word joiner after the scheme, "www" or an email's "@" keeps it text, and reads
# the same.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|www|@)(?=\\?[:.]|(?<=@))")
_JOINER = "\u2060"


def plain(text: object) -> str:
    """`text` with each markdown character backslash-escaped, so it renders as typed, and no
    address in it turned into a link."""
    escaped = _MARKDOWN.sub(r"\\\1", str(text))
    return _AUTOLINK.sub(lambda m: m.group(1) + _JOINER, escaped)
