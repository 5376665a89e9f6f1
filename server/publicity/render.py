"""The article body: Jinja2 template, nh3 sanitising to what WeChat keeps, WeChat's limits."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import nh3
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.common.errors import DomainError

TITLE_MAX = 32
DIGEST_MAX = 128
AUTHOR_MAX = 16
#: WeChat refuses a body of 20,000 characters or more, or of 1 MB or more (45002).
HTML_MAX_CHARS = 20_000
HTML_MAX_BYTES = 1024 * 1024

#: Tags the WeChat editor keeps; anything else is stripped (its text stays).
TAGS = {
    "section", "p", "br", "span", "strong", "b", "em", "i", "u", "s", "sub", "sup",
    "h1", "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "img", "a", "hr",
    "figure", "figcaption", "table", "thead", "tbody", "tr", "td", "th", "pre", "code",
}  # fmt: skip
#: Removed with everything inside them.
CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "noscript", "template"}
ATTRIBUTES = {
    "*": {"style"},
    "img": {"src", "alt", "width", "height"},
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
#: Inline CSS WeChat keeps; positioning, backgrounds with url() and the like are dropped.
STYLE_PROPERTIES = {
    "color", "background-color", "font-size", "font-weight", "font-style", "line-height",
    "letter-spacing", "text-align", "text-indent", "text-decoration", "margin", "margin-top",
    "margin-bottom", "margin-left", "margin-right", "padding", "padding-left", "padding-right",
    "padding-top", "padding-bottom", "border", "border-left", "border-bottom", "border-top",
    "border-radius", "width", "max-width", "height", "display", "vertical-align",
}  # fmt: skip

#: Where a body image points before publishing: an archive photo of the activity.
LOCAL_IMAGE = re.compile(r"^/api/v1/files/(\d+)/content$")
_IMG_SRC = re.compile(r'<img\b[^>]*?\bsrc="([^"]*)"', re.I)

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"], default_for_string=True),
    trim_blocks=False,
)


def sanitize(html: str) -> str:
    """Keep only the tags, attributes, styles and http(s) links WeChat keeps."""
    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags=CONTENT_TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=None,
        strip_comments=True,
        filter_style_properties=STYLE_PROPERTIES,
    )


def check_title(title: str) -> str:
    """A stripped title of 1 to 32 characters."""
    title = (title or "").strip()
    if not title:
        raise DomainError("invalid_title", "请填写标题")
    if len(title) > TITLE_MAX:
        raise DomainError(
            "title_too_long", f"标题不能超过 {TITLE_MAX} 个字（现为 {len(title)} 个字），请精简"
        )
    return title


def check_digest(digest: str) -> str:
    """A stripped digest of at most 128 characters."""
    digest = (digest or "").strip()
    if len(digest) > DIGEST_MAX:
        raise DomainError(
            "digest_too_long",
            f"摘要不能超过 {DIGEST_MAX} 个字（现为 {len(digest)} 个字），请精简",
        )
    return digest


def check_body(html: str) -> str:
    """Sanitise a body and check WeChat's size limits (< 20,000 characters and < 1 MB)."""
    clean = sanitize(html or "").strip()
    if not clean:
        raise DomainError("empty_body", "正文不能为空")
    if len(clean) >= HTML_MAX_CHARS:
        raise DomainError(
            "body_too_long",
            f"正文过长：微信要求少于 {HTML_MAX_CHARS} 个字符（含排版代码），"
            f"现为 {len(clean)} 个，请删减文字或照片",
        )
    if len(clean.encode("utf-8")) >= HTML_MAX_BYTES:
        raise DomainError("body_too_large", "正文超过 1 MB，请删减内容")
    return clean


def image_sources(html: str) -> list[str]:
    """The src of every <img> in a sanitised body, in order."""
    return _IMG_SRC.findall(html)


_LOCAL_IMG_TAG = re.compile(r'<img\b[^>]*?\bsrc="/api/v1/files/(\d+)/content"[^>]*>', re.I)


def replace_images(html: str, file_ids: set[int], note: str) -> str:
    """`html` with every <img> of these archive photos replaced by a short note."""
    if not file_ids:
        return html
    text = f'<span style="color:#999999">{escape(note)}</span>'
    return _LOCAL_IMG_TAG.sub(lambda m: text if int(m[1]) in file_ids else m[0], html)


def local_src(file_id: int) -> str:
    """The src of an archive photo in a draft body."""
    return f"/api/v1/files/{file_id}/content"


def render_body(context: dict) -> str:
    """The article body from the post template."""
    return _env.get_template("post.html.j2").render(**context)


def render_recap(context: dict) -> str:
    """A semester recap's body from its template."""
    return _env.get_template("recap.html.j2").render(**context)


def render_disclosure(context: dict) -> str:
    """A 公示's body from its template."""
    return _env.get_template("disclosure.html.j2").render(**context)


def render_preview(context: dict) -> str:
    """A page that shows the post as a phone would."""
    return _env.get_template("preview.html.j2").render(**context)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
