#!/usr/bin/python3
"""Renders a `tmux capture-pane -e` text capture (ANSI SGR colours) to PNG
with Pillow and DejaVu Sans Mono (Debian: python3-pil, fonts-dejavu-core).

    render_png.py CAPTURE.ansi.txt OUT.png [--cols N] [--rows N]
"""
import argparse
import re
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15
BG = (24, 26, 33)
FG = (214, 218, 224)
PALETTE = [(40, 42, 54), (230, 80, 80), (80, 200, 110), (225, 190, 90),
           (90, 150, 240), (200, 120, 220), (80, 200, 210), (220, 220, 220)]
BRIGHT = [(110, 110, 120), (255, 110, 110), (120, 235, 150), (250, 220, 120),
          (130, 180, 255), (230, 150, 250), (120, 230, 240), (255, 255, 255)]
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def color256(n):
    if n < 8:
        return PALETTE[n]
    if n < 16:
        return BRIGHT[n - 8]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


class State:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.reverse = self.underline = False

    def apply(self, params):
        codes = [int(c) if c else 0 for c in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = PALETTE[c - 30]
            elif 90 <= c <= 97:
                self.fg = BRIGHT[c - 90]
            elif c == 39:
                self.fg = None
            elif 40 <= c <= 47:
                self.bg = PALETTE[c - 40]
            elif 100 <= c <= 107:
                self.bg = BRIGHT[c - 100]
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                col = color256(codes[i + 2])
                if c == 38:
                    self.fg = col
                else:
                    self.bg = col
                i += 2
            i += 1

    def colors(self):
        fg = self.fg or FG
        bg = self.bg or BG
        if self.reverse:
            fg, bg = bg, fg
        if self.dim:
            fg = tuple((a + b) // 2 for a, b in zip(fg, bg))
        return fg, bg


def render(text, out, cols=None, rows=None):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(FONT_BOLD, SIZE)
    cw = round(font.getlength("M"))
    ch = SIZE + 5
    cols = cols or max(len(SGR.sub("", l)) for l in lines)
    rows = rows or len(lines)
    pad = 10
    img = Image.new("RGB", (cols * cw + 2 * pad, rows * ch + 2 * pad), BG)
    draw = ImageDraw.Draw(img)
    st = State()  # tmux writes SGR only where attributes change: it carries over lines
    for y, line in enumerate(lines[:rows]):
        x = 0
        pos = 0
        cells = []
        for m in list(SGR.finditer(line)) + [None]:
            chunk = line[pos:m.start()] if m else line[pos:]
            for c in chunk:
                if unicodedata.combining(c) and cells:
                    cells[-1] = (cells[-1][0] + c,) + cells[-1][1:]
                    continue
                w = 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
                cells.append((c, w, st.colors(), st.bold, st.underline))
            if m:
                st.apply(m.group(1))
                pos = m.end()
        for c, w, (fg, bg), b, u in cells:
            if x >= cols:
                break
            px, py = pad + x * cw, pad + y * ch
            draw.rectangle([px, py, px + w * cw - 1, py + ch - 1], fill=bg)
            if c.strip():
                draw.text((px, py + 2), c, font=bold if b else font, fill=fg)
            if u:
                draw.line([px, py + ch - 3, px + w * cw - 1, py + ch - 3], fill=fg)
            x += w
        # The rest of the row keeps the background in effect (tmux trims it).
        if x < cols and st.colors()[1] != BG:
            px, py = pad + x * cw, pad + y * ch
            draw.rectangle([px, py, pad + cols * cw - 1, py + ch - 1], fill=st.colors()[1])
    img.save(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("png")
    ap.add_argument("--cols", type=int)
    ap.add_argument("--rows", type=int)
    a = ap.parse_args()
    with open(a.capture, encoding="utf-8") as f:
        render(f.read(), a.png, a.cols, a.rows)


if __name__ == "__main__":
    main()
