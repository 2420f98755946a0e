#!/usr/bin/env python3
"""Draw the sample content's PNG images (content/images/*.png).

    python3 scripts/make-sample-images.py [CONTENT_DIR]

Only the Python standard library is used (zlib writes the PNG stream,
RFC 2083 / ISO/IEC 15948), so the images can be redrawn on any machine
and come out byte-for-byte the same.  Shapes are drawn at three times the
final size and averaged down, which smooths their edges without a
graphics library.

Television rules the drawings keep (see docs/sample-content.md):
- every colour channel stays within 16..235 (studio range, ITU-R BT.601),
  and averaging colours that are in range keeps the result in range;
- no thin horizontal lines: a line one TV line high flickers on an
  interlaced screen, so strokes are at least 4 pixels thick;
- no text inside images: every image has an English and a Welsh "alt"
  text in the page that shows it, and words belong in the page.
"""

import math
import os
import struct
import sys
import zlib

SS = 3  # supersampling factor

# ---- the palette (channels within 16..235) ----
BG = (26, 42, 70)          # the app's row colour: images sit on the page
PANEL = (34, 53, 88)
WHITE = (235, 235, 235)
LIGHT = (200, 208, 220)
GREY = (120, 128, 140)
DARK = (40, 40, 44)
BLACK = (24, 24, 28)
RED = (200, 40, 30)
GREEN = (30, 150, 60)
DKGREEN = (22, 100, 48)
BLUE = (30, 80, 200)
SKY = (60, 140, 210)
YELLOW = (235, 195, 30)
BROWN = (120, 80, 40)
PURPLE = (110, 60, 140)
HEATHER = (160, 100, 170)
ORANGE = (230, 120, 30)
TEAL = (24, 150, 160)
SAND = (200, 180, 130)
ROAD = (70, 72, 78)


def check_colour(c):
    for v in c:
        if not 16 <= v <= 235:
            raise ValueError("colour %r is outside 16..235" % (c,))
    return c


class Canvas:
    """An RGB drawing surface at SS times the final size."""

    def __init__(self, w, h, bg=BG):
        self.w, self.h = w, h
        self.W, self.H = w * SS, h * SS
        self.px = bytearray(bytes(check_colour(bg)) * (self.W * self.H))
        self.clip = None  # (x0, x1) span per supersampled row, or None

    def set_clip(self, pts):
        """Limit drawing to a convex polygon (a shield's field); None
        lifts the limit."""
        self.clip = None
        if pts is None:
            return
        spans = {}
        for y, xs in self._crossings(pts):
            if len(xs) >= 2:
                spans[y] = (xs[0], xs[-1])
        self.clip = spans

    def _crossings(self, pts):
        P = [(x * SS, y * SS) for x, y in pts]
        ys = [p[1] for p in P]
        for y in range(max(0, int(min(ys))), min(self.H, int(math.ceil(max(ys))) + 1)):
            yc = y + 0.5
            xs = []
            for i in range(len(P)):
                (xa, ya), (xb, yb) = P[i], P[(i + 1) % len(P)]
                if (ya <= yc < yb) or (yb <= yc < ya):
                    xs.append(xa + (yc - ya) * (xb - xa) / (yb - ya))
            xs.sort()
            yield y, [int(round(x)) for x in xs]

    def _span(self, y, x0, x1, c):
        """Fill supersampled row y from x0 to x1 (exclusive)."""
        if y < 0 or y >= self.H:
            return
        if self.clip is not None:
            if y not in self.clip:
                return
            x0 = max(x0, self.clip[y][0])
            x1 = min(x1, self.clip[y][1])
        x0 = max(0, x0)
        x1 = min(self.W, x1)
        if x1 <= x0:
            return
        i = (y * self.W + x0) * 3
        self.px[i:i + (x1 - x0) * 3] = bytes(c) * (x1 - x0)

    def polygon(self, pts, c):
        """Even-odd scanline fill; pts in final-size coordinates."""
        check_colour(c)
        for y, xs in self._crossings(pts):
            for k in range(0, len(xs) - 1, 2):
                self._span(y, xs[k], xs[k + 1], c)

    def rect(self, x0, y0, x1, y1, c):
        self.polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], c)

    def ellipse(self, cx, cy, rx, ry, c, steps=64):
        self.polygon([(cx + rx * math.cos(2 * math.pi * i / steps),
                       cy + ry * math.sin(2 * math.pi * i / steps))
                      for i in range(steps)], c)

    def circle(self, cx, cy, r, c):
        self.ellipse(cx, cy, r, r, c)

    def rounded(self, x0, y0, x1, y1, r, c):
        pts = []
        for cx, cy, a0 in ((x1 - r, y0 + r, -90), (x1 - r, y1 - r, 0),
                           (x0 + r, y1 - r, 90), (x0 + r, y0 + r, 180)):
            for i in range(9):
                a = math.radians(a0 + i * 90 / 8)
                pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
        self.polygon(pts, c)

    def line(self, x0, y0, x1, y1, width, c):
        """A thick line as a quadrilateral (width >= 4 for interlace)."""
        dx, dy = x1 - x0, y1 - y0
        n = math.hypot(dx, dy) or 1.0
        ox, oy = -dy / n * width / 2, dx / n * width / 2
        self.polygon([(x0 + ox, y0 + oy), (x1 + ox, y1 + oy),
                      (x1 - ox, y1 - oy), (x0 - ox, y0 - oy)], c)

    def star(self, cx, cy, r_out, r_in, points, c, rot=-90):
        pts = []
        for i in range(points * 2):
            r = r_out if i % 2 == 0 else r_in
            a = math.radians(rot + i * 180 / points)
            pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
        self.polygon(pts, c)

    def png(self):
        """Average SS x SS blocks down and encode an 8-bit RGB PNG."""
        W = self.W
        src = self.px
        raw = bytearray()
        for y in range(self.h):
            raw.append(0)  # filter type None
            rows = [(y * SS + k) * W * 3 for k in range(SS)]
            for x in range(self.w):
                for ch in range(3):
                    s = 0
                    for r in rows:
                        base = r + x * SS * 3 + ch
                        for j in range(SS):
                            s += src[base + j * 3]
                    raw.append((s + SS * SS // 2) // (SS * SS))

        def chunk(kind, data):
            return (struct.pack(">I", len(data)) + kind + data +
                    struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

        ihdr = struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                chunk(b"IDAT", zlib.compress(bytes(raw), 9)) +
                chunk(b"IEND", b""))


# ---- shared shapes ----

def shield(cv, x0, y0, x1, y1, c):
    """A heater shield: straight top and sides, then two arcs that meet
    in a point (each arc a 60-degree part of an ellipse, so the sides
    leave the straight part smoothly and meet at an angle)."""
    cx = (x0 + x1) / 2
    mid = y0 + (y1 - y0) * 0.45
    A = math.radians(60)
    n = 16
    right = []
    for i in range(n + 1):
        a = A * i / n
        right.append((x1 - (x1 - cx) * (1 - math.cos(a)) / (1 - math.cos(A)),
                      mid + (y1 - mid) * math.sin(a) / math.sin(A)))
    left = [(2 * cx - x, y) for x, y in reversed(right)]
    pts = [(x0, y0), (x1, y0)] + right + left[1:]
    cv.polygon(pts, c)
    return pts


def crest_base(field, border=YELLOW):
    cv = Canvas(160, 180)
    cv.rounded(6, 6, 154, 174, 14, PANEL)
    shield(cv, 22, 16, 138, 166, border)
    cv.set_clip(shield(cv, 28, 22, 132, 158, field))  # charges stay on the field
    return cv


def waves(cv, x0, x1, y, amp, width, c):
    n = 24
    prev = None
    for i in range(n + 1):
        x = x0 + (x1 - x0) * i / n
        yy = y + amp * math.sin(i / n * 4 * math.pi)
        if prev:
            cv.line(prev[0], prev[1], x, yy, width, c)
        prev = (x, yy)


# ---- the images ----

def crest_caerwen():
    """Caerwen ("white fort"): a white castle above blue waves on green."""
    cv = crest_base(GREEN)
    # castle: keep with three crenellated towers
    cv.rect(50, 70, 110, 118, WHITE)
    for tx in (46, 70, 94):
        cv.rect(tx, 48, tx + 20, 118, WHITE)
        for k in range(3):
            cv.rect(tx + k * 8 - 1, 40, tx + k * 8 + 5, 50, WHITE)
    cv.rounded(72, 92, 88, 118, 7, DKGREEN)   # gate
    cv.rect(52, 62, 58, 74, DKGREEN)          # windows
    cv.rect(100, 62, 106, 74, DKGREEN)
    waves(cv, 40, 120, 130, 3, 5, SKY)
    waves(cv, 48, 112, 143, 3, 5, SKY)
    return cv


def crest_northbury():
    """Northbury: a gold pole star over a white chevron on blue."""
    cv = crest_base(BLUE)
    cv.polygon([(30, 128), (80, 88), (130, 128), (130, 146), (80, 106),
                (30, 146)], WHITE)
    cv.star(80, 58, 28, 9, 8, YELLOW)
    cv.circle(80, 58, 6, WHITE)
    return cv


def crest_eastmoor():
    """Eastmoor: a rising sun over heather-covered hills."""
    cv = crest_base(SKY)
    cv.circle(80, 92, 30, YELLOW)
    for i in range(9):
        a = math.radians(180 + 22.5 * i)
        cv.line(80 + 36 * math.cos(a), 92 + 36 * math.sin(a),
                80 + 50 * math.cos(a), 92 + 50 * math.sin(a), 5, YELLOW)
    hills = [(28, 102)]
    for i in range(25):
        hills.append((28 + 104 * i / 24,
                      100 - 8 * math.sin(i / 24 * 2 * math.pi)))
    hills += [(132, 160), (28, 160)]
    cv.polygon(hills, HEATHER)
    cv.polygon([(28, 124), (60, 112), (100, 122), (132, 112), (132, 160),
                (28, 160)], PURPLE)
    return cv


def crest_riverton():
    """Riverton: a white bridge arch over a wavy river on red."""
    cv = crest_base(RED)
    # bridge deck and arch
    cv.rect(30, 70, 130, 80, WHITE)
    arch = [(34, 80), (126, 80), (126, 118)]
    for i in range(17):
        a = math.radians(i * 180 / 16)
        arch.append((80 + 36 * math.cos(a), 118 - 30 * math.sin(a)))
    arch.append((34, 118))
    cv.polygon(arch, WHITE)
    for tx in (36, 112):  # towers
        cv.rect(tx, 44, tx + 12, 72, WHITE)
        cv.rect(tx - 2, 40, tx + 14, 46, WHITE)
    waves(cv, 34, 126, 128, 3, 6, SKY)
    waves(cv, 44, 116, 142, 3, 6, SKY)
    return cv


def wheelie(cv, x, y, body, lid, w=56, h=84):
    """A wheelie bin with its lid colour, seen from the front."""
    cv.polygon([(x + 4, y + 10), (x + w - 4, y + 10), (x + w - 8, y + h),
                (x + 8, y + h)], body)
    cv.rounded(x, y, x + w, y + 14, 4, lid)
    cv.rect(x + 10, y + 24, x + w - 10, y + 30, lid)
    cv.circle(x + 14, y + h + 2, 7, BLACK)
    cv.circle(x + w - 14, y + h + 2, 7, BLACK)


def box(cv, x, y, c, w=60, h=40):
    cv.polygon([(x, y), (x + w, y), (x + w - 5, y + h), (x + 5, y + h)], c)
    cv.rect(x - 2, y - 6, x + w + 2, y + 2, c)


def bins_wheelie():
    """Four wheelie bins: blue lid, green, brown caddy, grey."""
    cv = Canvas(300, 160)
    cv.rounded(4, 4, 296, 156, 12, PANEL)
    wheelie(cv, 14, 26, GREY, BLUE)
    wheelie(cv, 84, 26, GREEN, GREEN)
    # food caddy: small brown bin with a handle
    cv.rounded(168, 70, 210, 112, 6, BROWN)
    cv.line(170, 66, 208, 66, 5, BROWN)
    wheelie(cv, 228, 26, DARK, DARK)
    # symbols above each bin
    cv.rect(32, 6, 52, 22, WHITE)                # paper
    cv.circle(112, 14, 8, LIGHT)                 # garden: leaf-ish
    cv.polygon([(112, 4), (120, 14), (112, 24), (104, 14)], GREEN)
    cv.circle(189, 50, 9, RED)                   # food: apple
    cv.rect(188, 36, 191, 44, BROWN)
    cv.line(250, 10, 262, 22, 4, WHITE)          # general: a cross
    cv.line(262, 10, 250, 22, 4, WHITE)
    return cv


def bins_boxes():
    """Caerwen's kerbside sort: blue bag, green box, caddy, black bin."""
    cv = Canvas(300, 160)
    cv.rounded(4, 4, 296, 156, 12, PANEL)
    # blue reusable bag (paper and card)
    cv.polygon([(14, 60), (74, 60), (70, 130), (18, 130)], BLUE)
    cv.line(26, 60, 34, 46, 4, BLUE)
    cv.line(62, 60, 54, 46, 4, BLUE)
    cv.rect(30, 76, 58, 100, WHITE)
    # green box (glass, cans, plastic)
    box(cv, 86, 86, GREEN)
    cv.rounded(100, 58, 112, 88, 4, SKY)         # a bottle
    cv.rect(103, 50, 109, 60, SKY)
    cv.rounded(120, 66, 136, 88, 3, LIGHT)       # a can
    # food caddy
    cv.rounded(162, 84, 206, 128, 6, BROWN)
    cv.line(164, 80, 204, 80, 5, BROWN)
    cv.circle(184, 66, 9, RED)
    # black bin, every three weeks
    wheelie(cv, 226, 40, BLACK, DARK, w=56, h=84)
    return cv


def council_map():
    """A map-like diagram of the four fictional council areas."""
    cv = Canvas(300, 200, (30, 70, 120))  # the sea
    land = [(20, 30), (120, 16), (220, 22), (286, 40), (290, 110),
            (270, 184), (150, 190), (60, 186), (30, 150), (14, 90)]
    cv.polygon(land, SAND)
    # four areas, each a coloured region inside the land
    cv.polygon([(22, 36), (110, 22), (118, 100), (40, 150), (18, 92)], GREEN)      # Caerwen, west
    cv.polygon([(114, 20), (220, 26), (226, 96), (122, 100)], BLUE)              # Northbury, north
    cv.polygon([(226, 30), (284, 44), (288, 110), (272, 180), (230, 150), (232, 96)], HEATHER)  # Eastmoor, east
    cv.polygon([(122, 104), (228, 100), (228, 152), (200, 184), (150, 186), (64, 182), (44, 154)], RED)  # Riverton, south
    # a river from the hills to the sea, and the national border
    pts = [(170, 30), (160, 70), (176, 110), (150, 150), (160, 192)]
    for a, b in zip(pts, pts[1:]):
        cv.line(a[0], a[1], b[0], b[1], 5, SKY)
    for i in range(7):  # dashed border between Wales and England
        y0 = 24 + i * 20
        cv.line(113 + i * 1.2, y0, 114 + i * 1.2, y0 + 10, 4, WHITE)
    # towns
    for x, y in ((62, 78), (170, 60), (258, 100), (150, 150)):
        cv.circle(x, y, 7, WHITE)
        cv.circle(x, y, 3, BLACK)
    return cv


def remote_keys():
    """The remote control keys the service uses."""
    cv = Canvas(240, 160)
    cv.rounded(4, 4, 236, 156, 12, PANEL)
    # arrow cluster with OK
    cx, cy = 70, 72
    cv.circle(cx, cy, 50, GREY)
    cv.circle(cx, cy, 20, LIGHT)
    for dx, dy in ((0, -1), (0, 1), (-1, 0), (1, 0)):
        tip = (cx + dx * 44, cy + dy * 44)
        base = (cx + dx * 28, cy + dy * 28)
        px, py = -dy * 9, dx * 9
        cv.polygon([tip, (base[0] + px, base[1] + py),
                    (base[0] - px, base[1] - py)], WHITE)
    # back and exit keys
    cv.rounded(132, 30, 176, 54, 8, GREY)
    cv.line(142, 42, 166, 42, 4, WHITE)
    cv.polygon([(138, 42), (148, 34), (148, 50)], WHITE)
    cv.rounded(184, 30, 228, 54, 8, GREY)
    cv.line(198, 36, 214, 48, 4, WHITE)
    cv.line(214, 36, 198, 48, 4, WHITE)
    # the four colour keys
    for i, c in enumerate((RED, GREEN, YELLOW, BLUE)):
        cv.rounded(24 + i * 52, 130, 64 + i * 52, 148, 6, c)
    return cv


def pothole():
    """A road with a pothole and a warning cone."""
    cv = Canvas(240, 150, SKY)
    cv.polygon([(0, 70), (240, 70), (240, 150), (0, 150)], ROAD)
    cv.polygon([(0, 62), (240, 62), (240, 70), (0, 70)], GREY)   # kerb
    for x in range(10, 240, 60):
        cv.rect(x, 106, x + 34, 112, WHITE)                         # centre line
    cv.ellipse(110, 128, 44, 14, BLACK)
    cv.ellipse(106, 126, 34, 9, DARK)
    # traffic cone
    cv.polygon([(186, 128), (214, 128), (204, 70), (196, 70)], ORANGE)
    cv.polygon([(190, 110), (210, 110), (208, 100), (192, 100)], WHITE)
    cv.rect(178, 126, 222, 134, ORANGE)
    return cv


def street_light():
    """A street light with its lamp out, at night."""
    cv = Canvas(200, 150, (20, 30, 60))
    for x, y in ((30, 20), (150, 30), (100, 16), (176, 70), (20, 80)):
        cv.circle(x, y, 2, LIGHT)
    cv.rect(0, 130, 200, 150, ROAD)
    cv.rect(88, 30, 98, 132, GREY)          # column
    cv.line(93, 34, 136, 26, 6, GREY)       # arm
    cv.rounded(122, 22, 158, 36, 6, GREY)   # lantern
    cv.rounded(128, 32, 152, 40, 4, DARK)   # the unlit lamp
    cv.rect(80, 124, 106, 132, GREY)        # base
    # warning triangle
    cv.polygon([(40, 72), (66, 118), (14, 118)], YELLOW)
    cv.rect(38, 86, 43, 106, BLACK)
    cv.rect(38, 109, 43, 114, BLACK)
    return cv


IMAGES = {
    "crest-caerwen.png": crest_caerwen,
    "crest-northbury.png": crest_northbury,
    "crest-eastmoor.png": crest_eastmoor,
    "crest-riverton.png": crest_riverton,
    "bins-wheelie.png": bins_wheelie,
    "bins-boxes.png": bins_boxes,
    "council-map.png": council_map,
    "remote-keys.png": remote_keys,
    "pothole.png": pothole,
    "street-light.png": street_light,
}


def main(argv):
    content = argv[1] if len(argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "content")
    out_dir = os.path.join(content, "images")
    os.makedirs(out_dir, exist_ok=True)
    for name, draw in IMAGES.items():
        cv = draw()
        if cv.w > 720 or cv.h > 576:
            raise ValueError("%s is larger than the 720x576 screen" % name)
        data = cv.png()
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        print("%-22s %3dx%-3d %6d bytes" % (name, cv.w, cv.h, len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
