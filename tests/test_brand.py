"""The brand images that Home Assistant shows for the integration (custom integration brands)."""

from __future__ import annotations

from pathlib import Path
import struct
import zlib

import pytest

BRAND = Path(__file__).resolve().parent.parent / "custom_components" / "hosted_pbx" / "brand"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# name: (width, height); None where only the height is fixed (a logo is as wide as it needs).
REQUIRED = {
    "icon.png": (256, 256),
    "icon@2x.png": (512, 512),
    "logo.png": (None, 256),
    "logo@2x.png": (None, 512),
}
OPTIONAL = {"dark_logo.png": (None, 256), "dark_logo@2x.png": (None, 512)}


def png_header(path: Path) -> tuple[int, int, int, int]:
    """Width, height, bit depth and colour type from the IHDR chunk (checked by its CRC)."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR", f"{path.name}: the first chunk is {kind!r}"
    assert length == 13
    body = data[16 : 16 + length]
    (crc,) = struct.unpack(">I", data[16 + length : 20 + length])
    assert zlib.crc32(kind + body) == crc, f"{path.name}: IHDR checksum mismatch"
    assert data.endswith(b"IEND\xae\x42\x60\x82"), f"{path.name} is truncated"
    width, height, depth, colour = struct.unpack(">IIBB", body[:10])
    return width, height, depth, colour


def test_no_unexpected_files() -> None:
    assert {path.name for path in BRAND.iterdir()} <= set(REQUIRED) | set(OPTIONAL)


@pytest.mark.parametrize(("name", "size"), [*REQUIRED.items(), *OPTIONAL.items()])
def test_image(name: str, size: tuple[int | None, int]) -> None:
    path = BRAND / name
    if name in OPTIONAL and not path.exists():
        pytest.skip(f"{name} is optional")
    assert path.is_file(), f"{name} is missing"
    width, height, depth, colour = png_header(path)
    expected_width, expected_height = size
    assert height == expected_height
    if expected_width is not None:
        assert width == expected_width
    else:
        # Home Assistant's brand rules: a logo is landscape (or square), shortest side as set.
        assert height <= width <= 4 * height
    if name.startswith("icon"):
        assert width == height, f"{name} must be square"
    # A transparent background: RGBA, or a palette (its transparency in a tRNS chunk).
    assert depth == 8
    assert colour in (3, 6)
    assert path.stat().st_size < 200_000, f"{name} is needlessly large"


@pytest.mark.parametrize(("small", "large"), [("icon", "icon@2x"), ("logo", "logo@2x")])
def test_hidpi_is_twice_the_size(small: str, large: str) -> None:
    w1, h1, *_ = png_header(BRAND / f"{small}.png")
    w2, h2, *_ = png_header(BRAND / f"{large}.png")
    assert h2 == 2 * h1
    assert abs(w2 - 2 * w1) <= 2 * max(1, w1 // 100)  # rounding of the text width
