"""User-typed text reaches markdown escaped: no image, link, colour or emphasis is made of it."""

from __future__ import annotations

from ui.plain import plain


def test_an_image_a_colour_and_emphasis_are_escaped_character_by_character() -> None:
    assert plain("![x](http://h/p.png)") == "\\!\\[x\\]\\(http\u2060\\://h/p\\.png\\)"
    assert plain(":red[hi]") == r"\:red\[hi\]"
    assert plain("ayu_s.dewi") == r"ayu\_s\.dewi"


def test_plain_words_are_left_as_they_are() -> None:
    assert plain("Budi Santoso 2026") == "Budi Santoso 2026"


def test_a_bare_address_does_not_become_a_link() -> None:
    shown = plain("see http://evil.example/go or www.evil.example")
    assert "http\u2060\\://" in shown and "www\u2060\\." in shown
    assert (
        shown.replace("\u2060", "").replace("\\", "")
        == "see http://evil.example/go or www.evil.example"
    )


def test_a_bare_email_address_does_not_become_a_mail_link() -> None:
    # GFM links "name@host.tld" on its own; a word joiner after "@" leaves no host to link.
    shown = plain("write to budi@toko.example")
    assert "budi@\u2060toko" in shown
    assert shown.replace("\u2060", "").replace("\\", "") == "write to budi@toko.example"
