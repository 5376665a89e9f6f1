"""Checking uploads: photos are decoded and re-encoded, attachments sniffed by content.

Pure functions on bytes (no database, no I/O), run in a thread by the service because
decoding and re-encoding an image takes CPU time.

Photos are re-encoded on purpose: phone pictures carry EXIF with GPS coordinates, and
the people in them are teachers and children. The rotation EXIF asks for is applied to
the pixels first, so nothing looks sideways once the tag is gone.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from PIL import Image, ImageOps, UnidentifiedImageError

from server.common.errors import DomainError

MB = 1024 * 1024
PHOTO_MAX_BYTES = 10 * MB
#: 60 megapixels: above any phone's default mode; a 10 MB file claiming more is a
#: decompression bomb in the making (decoding costs width × height × 4 bytes of memory).
PHOTO_MAX_PIXELS = 60_000_000
FILENAME_MAX = 100

#: Pillow format → (stored extension, content type, save options). GIF keeps its first
#: frame only and is stored as PNG (a record photo is a still picture).
PHOTO_OUTPUT = {
    "JPEG": ("jpg", "image/jpeg", {"format": "JPEG", "quality": 90, "optimize": True}),
    "PNG": ("png", "image/png", {"format": "PNG", "optimize": False}),
    "WEBP": ("webp", "image/webp", {"format": "WEBP", "quality": 90}),
    "GIF": ("png", "image/png", {"format": "PNG", "optimize": False}),
}
#: First bytes of the image formats we accept: used to tell a damaged image from
#: something that never was one.
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
#: ISO-BMFF brands of HEIC/HEIF, the default of iPhone cameras.
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Attachment extension → (content type, kind of content check, inner folder of OOXML).
ATTACHMENT_TYPES = {
    "pdf": ("application/pdf", "pdf", None),
    "doc": ("application/msword", "ole2", None),
    "xls": ("application/vnd.ms-excel", "ole2", None),
    "ppt": ("application/vnd.ms-powerpoint", "ole2", None),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ooxml",
        "word/",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ooxml", "xl/"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ooxml",
        "ppt/",
    ),
    "txt": ("text/plain", "text", None),
}
#: The model's content_type column holds 64 characters; longer types (the OOXML ones)
#: are stored as this and served from the stored file's extension.
STORED_FALLBACK = "application/octet-stream"
CONTENT_TYPE_MAX = 64
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed its checks: the bytes to store and how to serve them."""

    data: bytes
    filename: str
    ext: str
    content_type: str


def safe_filename(name: str | None, *, fallback: str) -> str:
    """The last path component of a client's file name, without characters unsafe on disk."""
    name = unicodedata.normalize("NFC", name or "")
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return fallback
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return name[:FILENAME_MAX]
    ext = ext[:10]
    return f"{stem[: FILENAME_MAX - len(ext) - 1]}.{ext}"


def extension_of(name: str) -> str:
    """The lower-case extension of a file name ('' if none)."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def with_extension(name: str, ext: str) -> str:
    """`name` with its extension replaced by `ext`."""
    stem, dot, _ = name.rpartition(".")
    return f"{stem if dot and stem else name}.{ext}"


def image_too_large() -> DomainError:
    """The refusal of a photo over 10 MB."""
    return DomainError(
        "image_too_large",
        f"照片不能超过 {PHOTO_MAX_BYTES // MB} MB，请压缩后重新上传",
        status=413,
    )


def file_too_large(max_bytes: int) -> DomainError:
    """The refusal of an attachment over the upload limit."""
    return DomainError(
        "file_too_large", f"附件不能超过 {max_bytes // MB} MB，请压缩或拆分后上传", status=413
    )


def _is_heic(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(IMAGE_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _too_many_pixels() -> DomainError:
    return DomainError("image_too_large", "照片像素过多，请缩小尺寸后重新上传", status=413)


def _not_an_image() -> DomainError:
    return DomainError(
        "not_an_image", "上传的文件不是图片，请选择 JPG、PNG、WebP 或 GIF 格式的照片"
    )


def _corrupt() -> DomainError:
    return DomainError(
        "corrupt_image", "图片文件已损坏或不完整，无法打开，请重新拍摄或选择其他照片"
    )


def check_photo(data: bytes, filename: str | None) -> CheckedFile:
    """Decode a photo fully and re-encode it without EXIF; refuse what is not one."""
    if len(data) > PHOTO_MAX_BYTES:
        raise image_too_large()
    if _is_heic(data):
        raise DomainError(
            "heic_not_supported",
            "暂不支持 HEIC 格式的照片：请在手机上选择 JPG 格式"
            "（如 iPhone 设置→相机→格式→兼容性最佳）后重新上传",
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in PHOTO_OUTPUT:
                raise DomainError(
                    "unsupported_image_format", "仅支持 JPG、PNG、WebP 或 GIF 格式的照片"
                )
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise _too_many_pixels()
            image.load()
            ext, content_type, options = PHOTO_OUTPUT[image.format]
            clean = _reencode(image, options)
    except DomainError:
        raise
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels() from exc
    except UnidentifiedImageError as exc:
        raise (_corrupt() if _looks_like_image(data) else _not_an_image()) from exc
    except Exception as exc:
        # Damaged files make Pillow raise OSError, SyntaxError, ValueError, EOFError …
        raise (_corrupt() if _looks_like_image(data) else _not_an_image()) from exc
    name = with_extension(safe_filename(filename, fallback="照片"), ext)
    return CheckedFile(data=clean, filename=name, ext=ext, content_type=content_type)


def _reencode(image: Image.Image, options: dict) -> bytes:
    # The colour profile stays (wide-gamut phone photos look wrong without it) unless the
    # mode changes below, where the old profile would no longer describe the pixels.
    icc = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    mode = upright.mode
    # Savers only write metadata passed to save(); clearing info makes sure none rides along.
    upright.info = {}
    if options["format"] == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA")
    keep_icc = icc and upright.mode == mode
    out = io.BytesIO()
    upright.save(out, **options, **({"icc_profile": icc} if keep_icc else {}))
    return out.getvalue()


def check_attachment(data: bytes, filename: str | None, *, max_bytes: int) -> CheckedFile:
    """Accept PDF, Word, Excel, PowerPoint and text files whose content matches the name."""
    if len(data) > max_bytes:
        raise file_too_large(max_bytes)
    name = safe_filename(filename, fallback="附件")
    ext = extension_of(name)
    if ext not in ATTACHMENT_TYPES:
        raise DomainError(
            "unsupported_file_type",
            "附件仅支持 PDF、Word（doc/docx）、Excel（xls/xlsx）、PPT（ppt/pptx）和文本文件（txt）",
        )
    content_type, check, folder = ATTACHMENT_TYPES[ext]
    if not data:
        raise DomainError("empty_file", "上传的文件是空的，请重新选择")
    if not _content_matches(data, check, folder):
        raise DomainError(
            "file_type_mismatch",
            f"文件内容与扩展名 .{ext} 不符，可能已损坏或被改过扩展名，请用原软件另存后重新上传",
        )
    if check == "text":
        content_type = f"text/plain; charset={_text_encoding(data)}"
    return CheckedFile(data=data, filename=name, ext=ext, content_type=content_type)


def stored_content_type(content_type: str) -> str:
    """What goes into the content_type column (see STORED_FALLBACK)."""
    return content_type if len(content_type) <= CONTENT_TYPE_MAX else STORED_FALLBACK


def served_content_type(stored: str, stored_path: str) -> str:
    """The content type to serve a stored file with."""
    if stored != STORED_FALLBACK:
        return stored
    ext = extension_of(PurePosixPath(stored_path).name)
    return ATTACHMENT_TYPES.get(ext, (STORED_FALLBACK,))[0]


def _content_matches(data: bytes, check: str, folder: str | None) -> bool:
    if check == "pdf":
        return data[:1024].lstrip().startswith(b"%PDF-")
    if check == "ole2":
        return data.startswith(OLE2)
    if check == "ooxml":
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, ValueError, OSError):
            return False
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
    return b"\x00" not in data and _text_encoding(data) != ""


def _text_encoding(data: bytes) -> str:
    """utf-8 or gb18030 (the encodings Chinese Notepad files use); '' for neither."""
    for encoding, charset in (("utf-8-sig", "utf-8"), ("gb18030", "gb18030")):
        try:
            data.decode(encoding)
            return charset
        except UnicodeDecodeError:
            continue
    return ""
