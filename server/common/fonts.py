"""Find a font that draws Chinese, through fontconfig."""

from __future__ import annotations

import functools
import shutil
import subprocess

from PIL import ImageFont

PREFERRED = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Source Han Sans SC")


class NoChineseFont(RuntimeError):
    """No installed font covers Chinese; text would render as boxes."""


def _run(*args: str) -> str:
    # Fixed arguments only: the programme path comes from shutil.which, no user input.
    return subprocess.run(  # noqa: S603
        list(args), capture_output=True, text=True, timeout=10, check=False
    ).stdout


@functools.cache
def cjk_font_spec(bold: bool = False) -> tuple[str, int]:
    """(file, face index) of an installed CJK font (bold when available and asked for).

    The face index matters for .ttc collections, whose first face may be Japanese.
    """
    fc_match, fc_list = shutil.which("fc-match"), shutil.which("fc-list")
    if not fc_match or not fc_list:
        raise NoChineseFont("未找到 fontconfig，请安装 fontconfig 与 fonts-noto-cjk")
    style = ":style=Bold" if bold else ""
    for family in PREFERRED:
        out = _run(fc_match, "-f", "%{file}\n%{index}\n%{lang}", family + style).split("\n")
        if len(out) == 3 and out[0] and "zh-cn" in out[2].split("|"):
            return out[0], int(out[1] or 0)
    lines = _run(fc_list, ":lang=zh", "file").splitlines()
    paths = sorted(line.strip().rstrip(":") for line in lines if line.strip())
    if not paths:
        raise NoChineseFont("未找到中文字体，请安装 fonts-noto-cjk")
    return paths[0], 0


@functools.cache
def cjk_font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A Pillow font of `size` pixels that draws Chinese."""
    path, index = cjk_font_spec(bold)
    return ImageFont.truetype(path, size=size, index=index)
