"""User-typed text inside Streamlit's markdown (titles, captions, labels) shown as plain text."""

from __future__ import annotations

import re

# Every character that starts markdown, a directive (:red[...]), an image or link, HTML or maths.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$])")


def plain(text: object) -> str:
    """`text` with each markdown character backslash-escaped, so it renders as typed."""
    return _MARKDOWN.sub(r"\\\1", str(text))
