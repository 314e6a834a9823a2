"""Writes the hostile and unusual pictures of web/e2e/reliability.test.mjs into
web/e2e/fixtures/pictures/. Run once by hand (needs Pillow); the files are committed,
so CI never needs Python for them. Each is this project's own drawing: the blue
triangle of trained.test.mjs, sometimes with a red disc as a second frame."""
import io
import pathlib
import struct
import zlib

from PIL import Image, ImageDraw

OUT = pathlib.Path(__file__).resolve().parent.parent / "web/e2e/fixtures/pictures"
BLUE, GREY, RED = (40, 80, 220), (225, 225, 225), (220, 40, 40)


def triangle(side=64):
    im = Image.new("RGB", (side, side), GREY)
    top, bottom, half = side * 0.2, side * 0.8, side * 0.32
    ImageDraw.Draw(im).polygon([(side / 2, top), (side / 2 - half, bottom), (side / 2 + half, bottom)], fill=BLUE)
    return im


def disc(side=64):
    im = Image.new("RGB", (side, side), GREY)
    ImageDraw.Draw(im).ellipse([side * 0.2, side * 0.2, side * 0.8, side * 0.8], fill=RED)
    return im


def encoded(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def png16(im):
    """A 16-bit-per-channel RGB PNG (Pillow writes 16 bits only for grey), by hand."""
    w, h = im.size
    rows = b"".join(
        b"\0" + b"".join(struct.pack(">HHH", *(c * 257 for c in im.getpixel((x, y)))) for x in range(w))
        for y in range(h)
    )
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tri = triangle()
    files = {
        # Header intact, pixel data cut off part-way.
        "truncated.png": encoded(tri, "PNG")[:300],
        "truncated.jpg": encoded(tri, "JPEG", quality=90)[:400],
        # First frame the triangle, then a red disc: the page must take the first.
        "animated.gif": encoded(tri, "GIF", save_all=True, append_images=[disc()], duration=100, loop=0),
        "animated.webp": encoded(tri, "WEBP", save_all=True, append_images=[disc()], duration=100, loop=0, lossless=True),
        "cmyk.jpg": encoded(tri.convert("CMYK"), "JPEG", quality=95),
        "sixteen-bit.png": png16(tri),
    }
    # Stored on its side (rotated a quarter turn anticlockwise, 48 × 32 stored as 32 × 48
    # turned), with EXIF orientation 6 ("rotate 90° clockwise to display"): honoured, it
    # shows 32 wide and 48 tall, the triangle's apex up.
    tall = triangle(48).crop((8, 0, 40, 48))  # 32 × 48, apex up
    stored = tall.transpose(Image.Transpose.ROTATE_90)  # 48 × 32 on its side
    exif = Image.Exif()
    exif[0x0112] = 6
    files["exif-rotated.jpg"] = encoded(stored, "JPEG", quality=95, exif=exif.tobytes())
    files["script.svg"] = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" onload="window.__svgRan = true">'
        b'<script>window.__svgRan = true; document.title = "pwned";</script>'
        b'<polygon points="32,12 12,52 52,52" fill="#2850dc"/></svg>\n'
    )
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
