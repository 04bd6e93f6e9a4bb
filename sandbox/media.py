"""Tiny but structurally valid media files for tests, the demo and the sample links, and sniffers for the
sandbox's own checks.

The files carry no pictures: only the container headers a client (or TikTok) would look at to learn the format,
the duration (and, when asked, the video track's size and frame rate), then padding up to the exact size asked
for. Photos are real images of one flat grey.
"""

from __future__ import annotations

import struct
import zlib

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


def _full_box(kind: bytes, payload: bytes, version: int = 0, flags: int = 0) -> bytes:
    return _box(kind, struct.pack(">I", version << 24 | flags) + payload)


def _video_trak(duration_s: float, fps: float, width: int, height: int, data_offset: int, payload: int) -> bytes:
    """One H.264 video track whose samples tile the ``mdat`` payload: ``tkhd`` (size), ``mdhd`` (timescale),
    ``hdlr`` ``vide``, an ``avc1`` sample entry and the sample tables. The frame rate is ``mdhd`` timescale over
    the ``stts`` sample delta, as readers compute it."""
    frames = max(1, round(duration_s * fps))
    sample_size = payload // frames
    if sample_size < 1:
        raise ValueError(f"a {duration_s} s clip at {fps} fps needs at least {frames} bytes of media data")
    timescale, delta = round(fps * 1000), 1000
    identity_matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    tkhd = _full_box(
        b"tkhd",
        struct.pack(">IIIII", 0, 0, 1, 0, round(duration_s * 1000))  # created, modified, track 1, -, duration
        + bytes(8)
        + struct.pack(">hhhH", 0, 0, 0, 0)  # layer, alternate group, volume (0 for video), reserved
        + identity_matrix
        + struct.pack(">II", width << 16, height << 16),
        flags=3,  # enabled, in movie
    )
    mdhd = _full_box(b"mdhd", struct.pack(">IIIIHH", 0, 0, timescale, frames * delta, 0x55C4, 0))  # language "und"
    hdlr = _full_box(b"hdlr", struct.pack(">I", 0) + b"vide" + bytes(12) + b"VideoHandler\0")
    avc1 = _box(
        b"avc1",
        bytes(6)
        + struct.pack(">H", 1)  # data reference index
        + bytes(16)
        + struct.pack(">HH", width, height)
        + struct.pack(">II", 0x480000, 0x480000)  # 72 dpi
        + bytes(4)
        + struct.pack(">H", 1)  # frames per sample
        + bytes(32)  # compressor name
        + struct.pack(">Hh", 0x18, -1)
        + _avcc(width, height),
    )
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", struct.pack(">I", 1) + avc1)
        + _full_box(b"stts", struct.pack(">III", 1, frames, delta))
        + _full_box(b"stsc", struct.pack(">IIII", 1, 1, frames, 1))
        + _full_box(b"stsz", struct.pack(">II", sample_size, frames))
        + _full_box(b"stco", struct.pack(">II", 1, data_offset)),
    )
    dinf = _box(b"dinf", _full_box(b"dref", struct.pack(">I", 1) + _full_box(b"url ", b"", flags=1)))
    minf = _box(b"minf", _full_box(b"vmhd", bytes(8), flags=1) + dinf + stbl)
    return _box(b"trak", tkhd + _box(b"mdia", mdhd + hdlr + minf))


class _Bits:
    """An H.264 RBSP writer: fixed-width fields and Exp-Golomb codes."""

    def __init__(self) -> None:
        self.bits = ""

    def u(self, width: int, value: int) -> None:
        self.bits += format(value, f"0{width}b")

    def ue(self, value: int) -> None:
        code = format(value + 1, "b")
        self.bits += "0" * (len(code) - 1) + code

    def nal(self, header: int) -> bytes:
        bits = self.bits + "1"  # rbsp_stop_one_bit, then zero bits to the byte boundary
        bits += "0" * (-len(bits) % 8)
        raw = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
        out = bytearray([header])
        zeros = 0
        for byte in raw:  # emulation prevention: no 00 00 0x (x <= 3) inside a NAL unit
            if zeros >= 2 and byte <= 3:
                out.append(3)
                zeros = 0
            out.append(byte)
            zeros = zeros + 1 if byte == 0 else 0
        return bytes(out)


def _avcc(width: int, height: int) -> bytes:
    """The ``avcC`` box: a Baseline-profile SPS (size, cropped to exact pixels) and PPS, as an encoder writes."""
    sps = _Bits()
    sps.u(8, 66)  # profile_idc: Baseline
    sps.u(8, 0xC0)  # constraint_set0 and constraint_set1
    sps.u(8, 40)  # level_idc 4.0
    sps.ue(0)  # seq_parameter_set_id
    sps.ue(0)  # log2_max_frame_num_minus4
    sps.ue(2)  # pic_order_cnt_type
    sps.ue(1)  # max_num_ref_frames
    sps.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    mbs_wide, mbs_high = -(-width // 16), -(-height // 16)
    sps.ue(mbs_wide - 1)
    sps.ue(mbs_high - 1)
    sps.u(1, 1)  # frame_mbs_only_flag
    sps.u(1, 1)  # direct_8x8_inference_flag
    crop_right, crop_bottom = (mbs_wide * 16 - width) // 2, (mbs_high * 16 - height) // 2
    sps.u(1, 1 if crop_right or crop_bottom else 0)
    if crop_right or crop_bottom:
        for value in (0, crop_right, 0, crop_bottom):
            sps.ue(value)
    sps.u(1, 0)  # vui_parameters_present_flag
    pps = _Bits()
    pps.ue(0)  # pic_parameter_set_id
    pps.ue(0)  # seq_parameter_set_id
    pps.u(2, 0)  # entropy_coding_mode_flag (CAVLC), bottom_field_pic_order_in_frame_present_flag
    pps.ue(0)  # num_slice_groups_minus1
    pps.ue(0)  # num_ref_idx_l0_default_active_minus1
    pps.ue(0)  # num_ref_idx_l1_default_active_minus1
    pps.u(3, 0)  # weighted_pred_flag, weighted_bipred_idc
    for _ in range(3):
        pps.ue(0)  # pic_init_qp_minus26, pic_init_qs_minus26, chroma_qp_index_offset (se(0) == ue(0))
    pps.u(3, 0b100)  # deblocking_filter_control_present, constrained_intra_pred, redundant_pic_cnt_present
    sps_nal, pps_nal = sps.nal(0x67), pps.nal(0x68)
    return _box(
        b"avcC",
        bytes([1, 66, 0xC0, 40, 0xFF, 0xE1])  # version, profile, compatibility, level, 4-byte lengths, 1 SPS
        + struct.pack(">H", len(sps_nal))
        + sps_nal
        + b"\x01"
        + struct.pack(">H", len(pps_nal))
        + pps_nal,
    )


def _iso_media(
    size: int,
    duration_s: float,
    brand: bytes,
    compatible: list[bytes],
    fps: float | None = None,
    moov_last: bool = False,
    width: int = 1080,
    height: int = 1920,
) -> bytes:
    if size < MIN_MEDIA_SIZE:
        raise ValueError(f"size must be at least {MIN_MEDIA_SIZE} bytes")
    if len(brand) != 4:
        raise ValueError("brand must be exactly 4 bytes")
    ftyp = _box(b"ftyp", brand + struct.pack(">I", 0x200) + b"".join(compatible))

    def moov(data_offset: int = 0, payload: int = 0) -> bytes:
        trak = b"" if fps is None else _video_trak(duration_s, fps, width, height, data_offset, payload)
        return _box(b"moov", _mvhd(round(duration_s * 1000)) + trak)

    moov_size = len(moov(0, 2**31 - 1))  # the tables' size does not depend on the offsets written in them
    pad = size - len(ftyp) - moov_size - 8
    if pad + 8 < 2**32:
        mdat_header = struct.pack(">I", pad + 8) + b"mdat"
    else:
        # 64-bit "largesize" form for files of 4 GiB and more.
        pad -= 8
        mdat_header = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", pad + 16)
    if pad < 0:
        raise ValueError(f"size must be at least {size - pad} bytes for these headers")
    media = bytes(pad) if fps is None else _filler_samples(duration_s, fps, pad)
    if moov_last:  # as many cameras write it: the media first, the index after it
        return ftyp + mdat_header + media + moov(len(ftyp) + len(mdat_header), pad)
    return ftyp + moov(len(ftyp) + moov_size + len(mdat_header), pad) + mdat_header + media


def _filler_samples(duration_s: float, fps: float, payload: int) -> bytes:
    """The track's samples: each one H.264 filler-data NAL unit (type 12, which decoders skip), so readers
    see well-formed length-prefixed samples; zero bytes after the last one."""
    frames = max(1, round(duration_s * fps))
    size = payload // frames
    if size < 6:
        sample = bytes(size)
    else:
        sample = struct.pack(">I", size - 4) + b"\x0c" + b"\xff" * (size - 6) + b"\x80"
    return sample * frames + bytes(payload - size * frames)


def make_mp4(
    size: int,
    duration_s: float = 10.0,
    brand: bytes = b"isom",
    *,
    fps: float | None = None,
    moov_last: bool = False,
    width: int = 1080,
    height: int = 1920,
) -> bytes:
    """An MP4 of exactly ``size`` bytes: ``ftyp``, ``moov``/``mvhd`` (timescale 1000), then ``mdat`` padding.

    With ``fps`` the ``moov`` also holds a video track (``width`` x ``height``, that frame rate); with
    ``moov_last`` the ``moov`` comes after the ``mdat``."""
    compatible = [brand] + [b for b in (b"isom", b"iso2", b"avc1", b"mp41") if b != brand]
    return _iso_media(size, duration_s, brand, compatible, fps, moov_last, width, height)


def make_mov(size: int, duration_s: float = 10.0) -> bytes:
    """A QuickTime file (major brand ``qt  ``) laid out like ``make_mp4``."""
    return _iso_media(size, duration_s, b"qt  ", [b"qt  "])


def make_jpeg(width: int, height: int) -> bytes:
    """A baseline grayscale JPEG of ``width`` x ``height`` mid-grey pixels.

    Every 8x8 block codes a DC difference of 0 and an end-of-block, with one-code Huffman tables for each, so
    the scan is two zero bits per block: a real image any decoder shows, a few kB in size."""
    if not (1 <= width <= 65535 and 1 <= height <= 65535):
        raise ValueError("width and height must be 1 to 65535")

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    app0 = segment(0xE0, b"JFIF\0" + struct.pack(">BBBHHBB", 1, 1, 0, 1, 1, 0, 0))
    dqt = segment(0xDB, b"\x00" + bytes([1]) * 64)  # table 0, 8-bit, all ones
    sof0 = segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")  # 1 component, 1x1, DQT 0
    one_code = bytes([1]) + bytes(15) + b"\x00"  # a single 1-bit code, for the symbol 0
    dht = segment(0xC4, b"\x00" + one_code + b"\x10" + one_code)  # DC table 0 (category 0), AC table 0 (EOB)
    sos = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")  # component 1 with tables 0/0, spectral 0-63
    blocks = -(-width // 8) * -(-height // 8)
    bits = 2 * blocks
    scan = bytes(bits // 8) + (bytes([0xFF >> (bits % 8)]) if bits % 8 else b"")  # pad the last byte with 1s
    return b"\xff\xd8" + app0 + dqt + sof0 + dht + sos + scan + b"\xff\xd9"


def make_png(width: int, height: int) -> bytes:
    """An 8-bit grayscale PNG of ``width`` x ``height`` mid-grey pixels (zlib from the standard library)."""
    if not (1 <= width and 1 <= height):
        raise ValueError("width and height must be at least 1")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\x00" + b"\x80" * width) * height  # filter type 0, then the row's pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _ebml_element(element_id: bytes, payload: bytes) -> bytes:
    # Sizes are written as 8-byte vints (0x01 marker + 7 bytes): always valid and easy to compute.
    return element_id + b"\x01" + len(payload).to_bytes(7, "big") + payload


def make_webm(size: int, duration_s: float = 10.0, *, fps: float | None = None, width: int = 1080, height: int = 1920):
    """A WebM of exactly ``size`` bytes: EBML header with DocType ``webm``, a Segment/Info with the duration,
    and a Void element as padding. With ``fps`` the Segment also has Tracks: one VP9 video track of
    ``width`` x ``height`` whose DefaultDuration gives that frame rate."""
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
    if fps is not None:
        video = _ebml_element(b"\xb0", struct.pack(">H", width)) + _ebml_element(b"\xba", struct.pack(">H", height))
        entry = (
            _ebml_element(b"\xd7", b"\x01")  # TrackNumber 1
            + _ebml_element(b"\x73\xc5", b"\x01")  # TrackUID 1
            + _ebml_element(b"\x83", b"\x01")  # TrackType: video
            + _ebml_element(b"\x86", b"V_VP9")  # CodecID
            + _ebml_element(b"\x23\xe3\x83", struct.pack(">I", round(1e9 / fps)))  # DefaultDuration, ns a frame
            + _ebml_element(b"\xe0", video)
        )
        info += _ebml_element(b"\x16\x54\xae\x6b", _ebml_element(b"\xae", entry))  # Tracks / TrackEntry
        info += _ebml_element(b"\x1f\x43\xb6\x75", _ebml_element(b"\xe7", b"\x00"))  # an empty Cluster at 0
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


def frame_rate(head: bytes) -> float | None:
    """Frames per second of the first video track of an MP4/MOV whose ``moov`` lies within ``head``: samples
    over duration from ``stts``, in ``mdhd`` time units. None when there is no such track in ``head``."""
    moov = _top_level_box(head, b"moov")
    if moov is None:
        return None
    pos = 0
    while (pos := moov.find(b"trak", pos)) >= 4:
        size = struct.unpack(">I", moov[pos - 4 : pos])[0]
        trak = moov[pos + 4 : pos - 4 + size]
        pos += 4
        if b"vide" not in trak:
            continue
        mdhd, stts = trak.find(b"mdhd"), trak.find(b"stts")
        if mdhd < 0 or stts < 0 or len(trak) < max(mdhd + 20, stts + 12):
            return None
        timescale = struct.unpack(">I", trak[mdhd + 16 : mdhd + 20])[0]
        (count,) = struct.unpack(">I", trak[stts + 8 : stts + 12])
        frames = ticks = 0
        for i in range(count):
            at = stts + 12 + 8 * i
            if len(trak) < at + 8:
                return None
            n, delta = struct.unpack(">II", trak[at : at + 8])
            frames, ticks = frames + n, ticks + n * delta
        return frames * timescale / ticks if ticks else None
    return None


def _top_level_box(head: bytes, kind: bytes) -> bytes | None:
    offset = 0
    while offset + 8 <= len(head):
        size, found = struct.unpack(">I4s", head[offset : offset + 8])
        if found == kind:
            return head[offset + 8 : offset + size]
        if size < 8:
            return None
        offset += size
    return None


def photo_format(data: bytes) -> str | None:
    """ "jpeg", "webp" or "png" by the file's signature, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None
