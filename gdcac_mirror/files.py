"""Tiny, valid, byte-deterministic binary files for the mirror: PNG images and PDF, DOCX and XLS attachments.

Every function here is pure: the same arguments give the same bytes on every machine and every Python
version.  That is why nothing here calls ``zlib.compress`` (its output may differ between zlib builds, e.g.
zlib-ng): PNG data is written as *stored* deflate blocks and DOCX members are *stored* in the zip.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from xml.sax.saxutils import escape as xml_escape

__all__ = ["attachment_bytes", "docx", "pdf", "png", "xls"]


def _stored_zlib(data: bytes) -> bytes:
    """A zlib stream holding ``data`` in stored (uncompressed) deflate blocks."""
    out = bytearray(b"\x78\x01")
    view = memoryview(data)
    if not data:
        out += b"\x01\x00\x00\xff\xff"
    for start in range(0, len(data), 0xFFFF):
        block = view[start:start + 0xFFFF]
        final = 1 if start + 0xFFFF >= len(data) else 0
        out += struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF)
        out += block
    out += struct.pack(">I", zlib.adler32(data) & 0xFFFFFFFF)
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(number: int, width: int = 2, height: int = 2) -> bytes:
    """A tiny RGB PNG whose colour is derived from ``number`` (so different images have different bytes)."""
    rgb = bytes(((number * 37) % 256, (number * 91) % 256, (number * 53) % 256))
    raw = b"".join(b"\x00" + rgb * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", _stored_zlib(raw))
            + _png_chunk(b"IEND", b""))


def pdf(label: str) -> bytes:
    """A minimal one-page PDF 1.4 printing ``label`` (ASCII only) with a correct xref table."""
    safe = "".join(ch for ch in label if 32 <= ord(ch) < 127 and ch not in "()\\")
    content = f"BT /F1 12 Tf 72 770 Td ({safe}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)


def docx(text: str) -> bytes:
    """A minimal Word document (one paragraph of ``text``), zip members stored with a fixed timestamp."""
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{xml_escape(text)}</w:t></w:r></w:p></w:body></w:document>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _RELS),
                           ("word/document.xml", document)):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, data.encode("utf-8"))
    return buf.getvalue()


def _biff(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _workbook_stream(value: float) -> bytes:
    """A BIFF8 workbook stream: globals (BOF, CODEPAGE, BOUNDSHEET, EOF) and one sheet with one number."""
    def bof(dt: int) -> bytes:
        return _biff(0x0809, struct.pack("<HHHHII", 0x0600, dt, 0x0DBB, 0x07CC, 0, 0x06))

    name = b"Sheet1"
    boundsheet_len = 4 + 8 + len(name)
    globals_len = len(bof(5)) + len(_biff(0x0042, b"\0\0")) + boundsheet_len + len(_biff(0x000A))
    stream = bof(5) + _biff(0x0042, struct.pack("<H", 0x04B0))
    stream += _biff(0x0085, struct.pack("<IBBBB", globals_len, 0, 0, len(name), 0) + name)
    stream += _biff(0x000A)
    assert len(stream) == globals_len
    stream += bof(0x10)
    stream += _biff(0x0200, struct.pack("<IIHHH", 0, 1, 0, 1, 0))
    stream += _biff(0x0203, struct.pack("<HHHd", 0, 0, 0, value))
    stream += _biff(0x000A)
    return stream


def xls(value: float) -> bytes:
    """A minimal Excel 97 workbook: a compound file (CFB v3) whose ``Workbook`` stream is padded to 4096 bytes,
    so that it lives in regular sectors and no mini stream is needed."""
    sector = 512
    free, end, fat_sect, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    stream = _workbook_stream(value)
    stream = stream + b"\0" * (4096 - len(stream))
    n_stream = len(stream) // sector

    header = bytearray()
    header += bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    assert len(header) == sector

    fat = [fat_sect, end] + [2 + i + 1 for i in range(n_stream - 1)] + [end]
    fat += [free] * (sector // 4 - len(fat))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1 if name else 0)
                + struct.pack("<III", no_stream, no_stream, child) + b"\0" * 16 + struct.pack("<I", 0)
                + b"\0" * 16 + struct.pack("<II", start, size) + b"\0" * 4)

    directory = (entry("Root Entry", 5, 1, end, 0) + entry("Workbook", 2, no_stream, 2, len(stream))
                 + entry("", 0, no_stream, 0, 0) + entry("", 0, no_stream, 0, 0))
    assert len(directory) == sector
    return bytes(header) + fat_bytes + directory + stream


def attachment_bytes(ext: str, label: str, number: int) -> bytes:
    """The bytes of an attachment of type ``ext`` (``pdf``, ``docx`` or ``xls``)."""
    if ext == "pdf":
        return pdf(f"gdcac mirror attachment {number}")
    if ext == "docx":
        return docx(label)
    if ext == "xls":
        return xls(float(number))
    raise ValueError(f"unknown attachment type: {ext!r}")
