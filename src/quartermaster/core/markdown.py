"""Markdown (ticket descriptions and comments, knowledge articles) to HTML that is safe to
show: markdown-it-py renders CommonMark with raw HTML disabled, and nh3 (ammonia)
sanitises the result anyway, so a link or image cannot carry script. One renderer for
every module, so an article's preview, its saved HTML and a ticket's comment agree."""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render(text: str) -> str:
    """Sanitised HTML of a Markdown text (uncached: for long texts stored with their HTML)."""
    if not text:
        return ""
    return nh3.clean(_renderer.render(text))


@lru_cache(maxsize=1024)
def to_html(text: str) -> str:
    """:func:`render`, cached: for the short texts read again and again (comments)."""
    return render(text)


def to_text(html: str) -> str:
    """The text of an HTML fragment (an e-mail without a text part): no tags at all."""
    return nh3.clean(html, tags=set()).strip()


def plain_text(fragment: str) -> str:
    """The readable text of an HTML fragment: no tags, entities decoded (``&amp;`` is
    ``&``), the blocks' line breaks kept: what a search index and its snippets hold."""
    return html.unescape(to_text(fragment))


def excerpt(markdown: str, length: int = 200) -> str:
    """The first ``length`` characters of a Markdown text's words, without markup, cut at
    a word boundary (an article's summary in lists and search results)."""
    words = " ".join(html.unescape(to_text(render(markdown[: length * 8]))).split())
    if len(words) <= length:
        return words
    cut = words[:length].rsplit(" ", 1)[0]
    return cut + "…"
