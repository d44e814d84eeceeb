"""Building blocks for synthetic text: fonts, vocabulary, colours and backgrounds.

Shared by the word-crop generator (recognition) and the scene generator (detection).
Everything takes an explicit ``numpy.random.Generator`` so samples are reproducible by seed.
"""
import functools
import glob
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"),
             os.path.expanduser("~/.local/share/fonts"), "/Library/Fonts", "C:/Windows/Fonts")
BUILTIN_FONT = "<pillow-default>"


# Fonts that map Latin code points to symbols or Greek (found on common Linux installs).
_SYMBOL_FONT_WORDS = ("symbol", "math", "dingbat", "d050000l", "emoji", "music", "icons")


# The characters a synthetic word may use, in both cases: a font must draw every one of them.
_ALPHABET_CASES = ("abcdefghijklmnopqrstuvwxyz0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# Glyphs that may legitimately look alike within one case (O / 0 in some sign fonts).
_MAX_LOOKALIKES = 2
# A code point no font draws: its bitmap is the font's placeholder for missing glyphs (.notdef).
_UNDRAWABLE = "\U0010FFFD"


def covers_alphabet(masks, placeholder=None):
    """True when glyph bitmaps ``{char: bytes}`` draw every character of both cases, none of them as the font's
    ``placeholder`` for missing glyphs, and, within each case, at most :data:`_MAX_LOOKALIKES` characters coincide
    with another."""
    for chars in _ALPHABET_CASES:
        drawn = [masks.get(ch, b"") for ch in chars]
        if not all(any(m) for m in drawn) or (placeholder is not None and placeholder in drawn):
            return False
        if len(drawn) - len(set(drawn)) > _MAX_LOOKALIKES:
            return False
    return True


def _renders_latin(path):
    """True when the font draws every letter (both cases) and digit as its own glyph: symbol fonts, and display
    fonts without digits or lower case, would put placeholder boxes under a word's label."""
    if any(word in os.path.basename(path).lower() for word in _SYMBOL_FONT_WORDS):
        return False
    try:
        font = ImageFont.truetype(path, 32)
        masks = {ch: bytes(font.getmask(ch)) for ch in set("".join(_ALPHABET_CASES))}
        placeholder = bytes(font.getmask(_UNDRAWABLE))
    except (OSError, ValueError):
        return False
    return covers_alphabet(masks, placeholder if any(placeholder) else None)


def font_dirs_from_config(value):
    """The ``fonts`` config value: a folder, a list of folders, or empty."""
    if not value:
        return ()
    folders = (value,) if isinstance(value, str) else tuple(value)
    for folder in folders:
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"{folder}: font folder not found")
    return folders


@functools.lru_cache(maxsize=None)
def discover_fonts(extra_dirs=()):
    """All usable TrueType/OpenType fonts on the machine plus Pillow's own scalable font."""
    found = []
    for folder in tuple(extra_dirs) + FONT_DIRS:
        for pattern in ("**/*.ttf", "**/*.otf", "**/*.TTF", "**/*.OTF"):
            found.extend(glob.glob(os.path.join(folder, pattern), recursive=True))
    fonts = sorted({p for p in found if _renders_latin(p)})
    return tuple(fonts) + (BUILTIN_FONT,)


def font_family(path):
    """A family key from the file name ('NotoSans-BoldItalic.ttf' -> 'notosans')."""
    return os.path.splitext(os.path.basename(path))[0].split("-")[0].lower()


def group_by_family(fonts):
    families = {}
    for path in fonts:
        families.setdefault(font_family(path), []).append(path)
    return [tuple(v) for _, v in sorted(families.items())]


def pick_font(rng, families):
    """Uniform over families, then over styles: many files of one family must not dominate."""
    family = families[rng.integers(len(families))]
    return family[rng.integers(len(family))]


@functools.lru_cache(maxsize=4096)
def load_font(path, size):
    if path == BUILTIN_FONT:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


_FALLBACK_WORDS = (
    "the of and to in is for on that by this with you it not or be are from at as your all have new "
    "more an was we will home can us about if page my has search free but our one other do no "
    "information time they site he up may what which their news out use any there see only so his "
    "when contact here business who web also now help get view online first am been would how were "
    "me services some these click its like service than find price date back top people had list "
    "name just over state year day into email two health world next used go work last most products "
    "music buy data make them should product system post her city add policy number such please "
    "available copyright support message after best software then jan good video well where info "
    "rights public books high school through each links she review years order very privacy book "
    "items company read group need many user said does set under general research university "
    "january mail full map reviews program life know games way days management part could great "
    "united hotel real item international center ebay must store travel comments made development "
    "report off member details line terms before hotels did send right type because local those "
    "using results office education national car design take posted internet address community "
    "within states area want phone shipping reserved subject between forum family long based code "
    "show even black check special prices website index being women much sign file link open today "
    "technology south case project same pages uk version section own found sports house related "
    "security both county american photo game members power while care network down computer "
    "systems three total place end following download him without per access think north "
    "resources current posts big media law control water history pictures size art personal since "
    "including guide shop directory board location change white text small rating rate government "
    "children during usa return students shopping account times sites level digital profile "
    "previous form events love old john main call hours image department title description "
    "exit stop pull push open closed sale hotel taxi bank cafe bar pizza police station street road "
    "avenue parking entrance toilet fire danger warning keep clear no smoking welcome"
).split()


@functools.lru_cache(maxsize=None)
def vocabulary(size=30000):
    """English words ranked by frequency (wordfreq when installed, else a small built-in list)."""
    try:
        from wordfreq import top_n_list

        words = [w for w in top_n_list("en", size * 2) if w.isascii() and w.isalnum()]
        return tuple(words[:size])
    except ImportError:
        return tuple(_FALLBACK_WORDS)


def sample_text(rng, charset="0123456789abcdefghijklmnopqrstuvwxyz", max_length=23, words=None):
    """A word as it appears in scenes: mostly dictionary words in varied case, some numbers,
    some random strings (so the model cannot rely on the language prior alone)."""
    words = words if words is not None else vocabulary()
    kind = rng.random()
    if kind < 0.62:
        # Zipf-like preference for frequent words without ignoring the tail.
        rank = int(min(len(words) - 1, rng.pareto(0.6) * 50))
        text = words[rank] if rng.random() < 0.7 else words[rng.integers(len(words))]
    elif kind < 0.75:
        text = str(rng.integers(0, 10 ** rng.integers(1, 7)))
    elif kind < 0.85:
        text = words[rng.integers(len(words))] + str(rng.integers(0, 100))
    else:
        length = int(rng.integers(1, 12))
        text = "".join(rng.choice(list(charset), size=length))
    case = rng.random()
    if case < 0.35:
        text = text.upper()
    elif case < 0.65:
        text = text[:1].upper() + text[1:]
    text = "".join(c for c in text if c.lower() in charset or c in charset)
    return (text or "a")[:max_length]


def random_color(rng):
    """Mostly muted colours, as in photographs; sometimes a saturated sign colour."""
    colour = rng.integers(0, 256, size=3).astype(np.float32)
    grey = colour.mean()
    keep = rng.uniform(0.1, 1.0) if rng.random() < 0.7 else 1.0
    return np.clip(grey + (colour - grey) * keep, 0, 255).astype(np.int64)


def contrasting_color(rng, background, min_delta=90):
    """A colour whose luminance differs enough from ``background`` to stay legible."""
    lum_bg = float(np.dot(background, [0.299, 0.587, 0.114]))
    for _ in range(20):
        colour = random_color(rng)
        if abs(float(np.dot(colour, [0.299, 0.587, 0.114])) - lum_bg) >= min_delta:
            return colour
    return np.array([0, 0, 0]) if lum_bg > 127 else np.array([255, 255, 255])


def _smooth_noise(rng, height, width, cells):
    """Low-frequency noise in [0, 1] made by bilinear upsampling of a coarse random grid."""
    coarse = rng.random((cells + 1, cells + 1)).astype(np.float32)
    img = Image.fromarray((coarse * 255).astype(np.uint8)).resize((width, height), Image.BILINEAR)
    return np.asarray(img, dtype=np.float32) / 255.0


def random_background(rng, height, width):
    """A textured background: flat colour, gradient, smooth noise blend, stripes or speckle."""
    base = random_color(rng).astype(np.float32)
    kind = rng.random()
    if kind < 0.3:
        img = np.broadcast_to(base, (height, width, 3)).copy()
    elif kind < 0.55:
        other = random_color(rng).astype(np.float32)
        ramp = np.linspace(0, 1, width if rng.random() < 0.5 else height, dtype=np.float32)
        ramp = ramp[None, :, None] if ramp.shape[0] == width else ramp[:, None, None]
        img = base * (1 - ramp) + other * ramp
        img = np.broadcast_to(img, (height, width, 3)).copy()
    elif kind < 0.85:
        other = random_color(rng).astype(np.float32)
        mix = _smooth_noise(rng, height, width, int(rng.integers(2, 8)))[..., None]
        img = base * (1 - mix) + other * mix
    else:
        other = random_color(rng).astype(np.float32)
        period = int(rng.integers(4, 40))
        axis = np.arange(width if rng.random() < 0.5 else height)
        stripes = ((axis // period) % 2).astype(np.float32)
        stripes = stripes[None, :, None] if axis.shape[0] == width else stripes[:, None, None]
        img = np.broadcast_to(base * (1 - stripes) + other * stripes * 0.5 + base * stripes * 0.5,
                              (height, width, 3)).copy()
    if rng.random() < 0.5:
        img += rng.normal(0, rng.uniform(2, 14), size=img.shape).astype(np.float32)
    return np.clip(img, 0, 255)


def text_mask(text, font, stroke_width=0, spacing=0):
    """Render ``text`` as an 8-bit coverage mask (uint8 array, 255 = ink)."""
    ascent, descent = font.getmetrics()
    widths = [font.getlength(c) for c in text]
    total = int(np.ceil(sum(widths) + spacing * max(0, len(text) - 1))) + 2 * stroke_width + 2
    height = ascent + descent + 2 * stroke_width + 2
    mask = Image.new("L", (max(total, 1), max(height, 1)), 0)
    draw = ImageDraw.Draw(mask)
    if spacing == 0:
        draw.text((stroke_width + 1, stroke_width + 1), text, font=font, fill=255,
                  stroke_width=stroke_width, stroke_fill=255)
    else:
        x = stroke_width + 1.0
        for char, w in zip(text, widths):
            draw.text((x, stroke_width + 1), char, font=font, fill=255, stroke_width=stroke_width,
                      stroke_fill=255)
            x += w + spacing
    return np.asarray(mask)
