"""The CJK font of the statements (ADR 0020).

WenQuanYi Micro Hei (Apache-2.0), shipped on PyPI by `paperang-p2-fonts-cjk`, so a fresh
machine gets it from `requirements/*.lock` like any other dependency.
`settings.STATEMENT_FONT_PATH` may name another TrueType file or collection.

Each statement gets its own subset of the font: exactly the characters of its HTML,
made with fontTools before WeasyPrint sees it, and `@font-face` points at that small
file. WeasyPrint subsets again when it writes the PDF, but a 20 KB font costs it nothing,
where the 49,531-glyph original cost ~3 s per large statement (fontTools keeps glyph ids,
so every table stays full size) and loaded slower in Pango.
"""

import logging
from importlib import resources
from pathlib import Path

from django.conf import settings
from fontTools import subset
from fontTools.ttLib import TTFont

logger = logging.getLogger(__name__)

FAMILY = "KJCXQ Statement"
#: always in the subset: what page numbers, dates and amounts may print
ALWAYS = "0123456789 ,.:-/()¥%·—…"


def font_path() -> Path:
    configured = getattr(settings, "STATEMENT_FONT_PATH", "")
    if configured:
        return Path(configured)
    return Path(str(resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"))


def font_index() -> int:
    """Face 0 of the collection: WenQuanYi Micro Hei (1 is its monospaced sibling)."""
    return int(getattr(settings, "STATEMENT_FONT_INDEX", 0))


def subset_font(text: str, target: Path) -> Path:
    """Write a TrueType font with the glyphs of every character in `text` to `target`."""
    font = TTFont(str(font_path()), fontNumber=font_index(), lazy=True)
    wanted = {ord(ch) for ch in set(text + ALWAYS) if ch.isprintable() or ch == " "}
    cmap = font.getBestCmap()
    missing = sorted(chr(c) for c in wanted if c not in cmap and c > 0x7F)
    if missing:
        logger.warning("statement font lacks %d characters: %s", len(missing),
                       "".join(missing[:50]))
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.drop_tables += ["GSUB", "GPOS", "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted & set(cmap))
    subsetter.subset(font)
    font.save(str(target))
    return target


def font_face_css(url: str) -> str:
    return (f"@font-face {{ font-family: '{FAMILY}'; src: url('{url}'); }}\n"
            f"html {{ font-family: '{FAMILY}'; }}")
