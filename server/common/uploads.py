"""Reading a multipart upload so that a body Sanic cannot decode is refused in Chinese.

Sanic decodes part headers and text fields as UTF-8; when that fails it logs a traceback
and leaves the form empty, so the endpoint would say "no file" to someone who sent one
(a GBK file name from an old Windows program, a caption in another encoding), and code
reading `request.files` as a mapping would fail with a 500.
"""

from __future__ import annotations

from sanic import Request
from sanic.headers import parse_content_header
from sanic.request.form import parse_multipart_form

from server.common.errors import DomainError
from server.common.input_guard import control_characters_refused, has_control_characters


def read_multipart(request: Request) -> None:
    """Parse request.body as multipart/form-data now; refuse what cannot be read."""
    content_type, parameters = parse_content_header(request.content_type or "")
    if content_type != "multipart/form-data":
        return
    boundary = parameters.get("boundary")
    if not boundary:
        raise DomainError("bad_form", "上传的表单格式不正确，请重新选择文件上传")
    try:
        form, files = parse_multipart_form(request.body, str(boundary).encode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DomainError(
            "form_not_utf8",
            "无法读取上传的文件名或说明：它们不是 UTF-8 编码（多见于旧版软件的 GBK 编码），"
            "请将文件重命名后重新上传",
        ) from exc
    except Exception as exc:  # noqa: BLE001 - a truncated or malformed multipart body
        raise DomainError("bad_form", "上传的表单格式不正确，请重新选择文件上传") from exc
    if has_control_characters(dict(form)):
        raise control_characters_refused()
    request.parsed_form, request.parsed_files = form, files
