"""Small conveniences for plots: Chinese labels need a CJK font matplotlib can find."""

from __future__ import annotations

import warnings

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Serif CJK SC",
)


def use_chinese_font() -> str | None:
    """Make matplotlib draw Chinese (区县名, 河段) with the first CJK font installed.

    Returns the font's name, or None when there is none: then Chinese characters show as
    boxes, and the "Glyph missing" warnings are silenced so the notebook stays readable.
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FONTS if name in installed), None)
    if found:
        mpl.rcParams["font.sans-serif"] = [found, *mpl.rcParams["font.sans-serif"]]
        mpl.rcParams["font.family"] = "sans-serif"
        mpl.rcParams["axes.unicode_minus"] = False
    else:
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font")
    return found
