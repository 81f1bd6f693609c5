"""QR codes drawn on the server as inline SVG (no script, nothing fetched: the CSP allows it)."""

from __future__ import annotations

from io import BytesIO

import qrcode
import qrcode.image.svg


def qr_svg(text: str) -> str:
    """An ``<svg>`` element of ``text``'s QR code, without the XML declaration, to inline."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=6)
    buf = BytesIO()
    image.save(buf)
    svg = buf.getvalue().decode()
    return svg[svg.index("<svg") :]
