"""Markdown (descriptions, comments) to HTML that is safe to show: markdown-it-py renders
CommonMark with raw HTML disabled, and nh3 (ammonia) sanitises the result anyway, so a
link or image cannot carry script."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


@lru_cache(maxsize=1024)
def to_html(text: str) -> str:
    if not text:
        return ""
    return nh3.clean(_renderer.render(text))


def to_text(html: str) -> str:
    """The text of an HTML fragment (an e-mail without a text part): no tags at all."""
    return nh3.clean(html, tags=set()).strip()
