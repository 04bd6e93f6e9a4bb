"""Tiny but structurally valid media files for tests and the demo, and a sniffer for the sandbox's own checks.

The files carry no frames: only the container headers a client (or TikTok) would look at to learn the format
and the duration, then zero padding up to the exact size asked for.
"""

from __future__ import annotations

import struct

MIN_MEDIA_SIZE = 200


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _mvhd(duration_ms: int) -> bytes:
    """Version-0 movie header: timescale 1000, so ``duration`` is in milliseconds."""
    identity_matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    payload = (
        struct.pack(">B3s", 0, b"\0\0\0")  # version 0, flags
        + struct.pack(">IIII", 0, 0, 1000, duration_ms)  # creation, modification, timescale, duration
        + struct.pack(">IH", 0x10000, 0x100)  # rate 1.0, volume 1.0
        + bytes(10)  # reserved
        + identity_matrix
        + bytes(24)  # pre_defined
        + struct.pack(">I", 2)  # next_track_ID
    )
    return _box(b"mvhd", payload)


def _iso_media(size: int, duration_s: float, brand: bytes, compatible: list[bytes]) -> bytes:
    if size < MIN_MEDIA_SIZE:
        raise ValueError(f"size must be at least {MIN_MEDIA_SIZE} bytes")
    if len(brand) != 4:
        raise ValueError("brand must be exactly 4 bytes")
    ftyp = _box(b"ftyp", brand + struct.pack(">I", 0x200) + b"".join(compatible))
    moov = _box(b"moov", _mvhd(round(duration_s * 1000)))
    head = ftyp + moov
    pad = size - len(head) - 8
    if pad + 8 < 2**32:
        mdat_header = struct.pack(">I", pad + 8) + b"mdat"
    else:
        # 64-bit "largesize" form for files of 4 GiB and more.
        pad -= 8
        mdat_header = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", pad + 16)
    return head + mdat_header + bytes(pad)


def make_mp4(size: int, duration_s: float = 10.0, brand: bytes = b"isom") -> bytes:
    """An MP4 of exactly ``size`` bytes: ``ftyp``, ``moov``/``mvhd`` (timescale 1000), then ``mdat`` padding."""
    compatible = [brand] + [b for b in (b"isom", b"iso2", b"avc1", b"mp41") if b != brand]
    return _iso_media(size, duration_s, brand, compatible)


def make_mov(size: int, duration_s: float = 10.0) -> bytes:
    """A QuickTime file (major brand ``qt  ``) laid out like ``make_mp4``."""
    return _iso_media(size, duration_s, b"qt  ", [b"qt  "])


def _ebml_element(element_id: bytes, payload: bytes) -> bytes:
    # Sizes are written as 8-byte vints (0x01 marker + 7 bytes): always valid and easy to compute.
    return element_id + b"\x01" + len(payload).to_bytes(7, "big") + payload


def make_webm(size: int, duration_s: float = 10.0) -> bytes:
    """A WebM of exactly ``size`` bytes: EBML header with DocType ``webm``, a Segment/Info with the duration,
    and a Void element as padding."""
    if size < MIN_MEDIA_SIZE:
        raise ValueError(f"size must be at least {MIN_MEDIA_SIZE} bytes")
    header = _ebml_element(
        b"\x1a\x45\xdf\xa3",
        b"\x42\x86\x81\x01"  # EBMLVersion 1
        + b"\x42\xf7\x81\x01"  # EBMLReadVersion 1
        + b"\x42\xf2\x81\x04"  # EBMLMaxIDLength 4
        + b"\x42\xf3\x81\x08"  # EBMLMaxSizeLength 8
        + b"\x42\x82\x84webm"  # DocType "webm"
        + b"\x42\x87\x81\x04"  # DocTypeVersion 4
        + b"\x42\x85\x81\x02",  # DocTypeReadVersion 2
    )
    info = _ebml_element(
        b"\x15\x49\xa9\x66",
        b"\x2a\xd7\xb1\x83\x0f\x42\x40"  # TimecodeScale 1,000,000 ns: durations in ms
        + b"\x44\x89\x88"
        + struct.pack(">d", duration_s * 1000.0),  # Duration (float64, ms)
    )
    segment_overhead = 4 + 8  # Segment id + 8-byte size
    void_overhead = 1 + 8
    pad = size - len(header) - segment_overhead - len(info) - void_overhead
    segment = _ebml_element(b"\x18\x53\x80\x67", info + _ebml_element(b"\xec", bytes(pad)))
    return header + segment


def probe(head: bytes) -> tuple[str | None, float | None]:
    """Best-effort container sniffing from the first bytes of a file.

    Returns ``(container, duration_s)`` where container is "mp4", "mov", "webm" or None (unrecognised) and
    duration_s is None when it is not found in ``head``.
    """
    if head[4:8] == b"ftyp":
        container = "mov" if head[8:12] == b"qt  " else "mp4"
        return container, _mp4_duration(head)
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"\x42\x82\x84webm" in head[:64]:
        return "webm", _webm_duration(head)
    return None, None


def _mp4_duration(head: bytes) -> float | None:
    """Walk top-level boxes to ``moov`` and read ``mvhd`` (versions 0 and 1)."""
    offset = 0
    while offset + 8 <= len(head):
        size, kind = struct.unpack(">I4s", head[offset : offset + 8])
        if kind == b"moov":
            inner = head[offset + 8 : offset + size]
            pos = inner.find(b"mvhd")
            if pos < 4:
                return None
            body = inner[pos + 4 :]
            if body[:1] == b"\x01" and len(body) >= 32:
                timescale, duration = struct.unpack(">IQ", body[20:32])
            elif len(body) >= 20:
                timescale, duration = struct.unpack(">II", body[12:20])
            else:
                return None
            return duration / timescale if timescale else None
        if size < 8:
            return None
        offset += size
    return None


def _webm_duration(head: bytes) -> float | None:
    pos = head.find(b"\x44\x89\x88")
    if pos < 0 or len(head) < pos + 11:
        return None
    (duration_ms,) = struct.unpack(">d", head[pos + 3 : pos + 11])
    return duration_ms / 1000.0
