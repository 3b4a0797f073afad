"""Server-side QR codes: no script, no third party ever sees the secret."""

import io

import segno


def otpauth_qr_svg(uri: str) -> str:
    """An inline SVG of the otpauth:// URI (dark on light, for any phone camera)."""
    buffer = io.BytesIO()  # segno writes SVG as encoded bytes
    segno.make(uri, error="m").save(
        buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title="QR code"
    )
    return buffer.getvalue().decode("utf-8")
