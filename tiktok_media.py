"""A video's facts and TikTok's media rules: a bounded MP4/MOV and WebM/Matroska inspector, pure and without I/O.

TikTok checks the media only after it has every byte (fail reasons file_format_check_failed,
duration_check_failed, frame_rate_check_failed, picture_size_check_failed); the same facts are read here before
the init, from the container's own headers, so a video TikTok would reject is refused before anything is sent.
Rules: https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide ("Video restrictions").

Every reader takes `read_at(offset, length) -> bytes`, which may return fewer bytes than asked (or none) when they
are not at hand: the same walk serves a whole file, a streamed first chunk and the windows read from a link by
HTTP Range. Walks are capped (boxes or elements visited, bytes read), so any input is answered in milliseconds;
malformed or truncated input gives facts that are unknown (None), never an exception.
"""

import io
import math
import struct
from dataclasses import dataclass

import imagesize

from tiktok_api import InputError

# ---- Containers ------------------------------------------------------------------------------------------------

# Legacy QuickTime files may start with one of these atoms instead of "ftyp".
_QUICKTIME_LEAD_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
# ISO files whose major brand says image or audio (HEIF/HEIC/AVIF photos, M4A/M4B audio), not video.
_NOT_VIDEO_BRANDS = (
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis",
    b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ", b"jp2 ", b"jpx ", b"crx ",
)  # fmt: skip
EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def sniff_video_type(head: bytes) -> str | None:
    """The container from the file's own signature: TikTok takes MP4, MOV and WebM."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        if head[8:12] in _NOT_VIDEO_BRANDS:
            return None
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if len(head) >= 8 and head[4:8] in _QUICKTIME_LEAD_ATOMS:
        return "video/quicktime"
    if head[:4] == EBML_MAGIC and b"webm" in head[:64]:
        return "video/webm"
    return None


# ---- Facts -------------------------------------------------------------------------------------------------------

# The inspector's bounds: boxes or elements visited, and bytes read, per inspection.
MAX_NODES = 4096
MAX_READ_BYTES = 4 * 2**20
# stts entries read for the frame rate (8 bytes each); a longer table is summed from its first entries.
MAX_STTS_ENTRIES = 16384

# Sample entry four-ccs (MP4/MOV) and CodecIDs (WebM/Matroska) by codec: those TikTok takes, and the ones a
# camera or editor often writes that it refuses (any other is named by its four-cc).
CODEC_NAMES = {
    **dict.fromkeys(("avc1", "avc3", "V_MPEG4/ISO/AVC"), "H.264"),
    **dict.fromkeys(("hvc1", "hev1", "V_MPEGH/ISO/HEVC"), "H.265"),
    **dict.fromkeys(("vp08", "V_VP8"), "VP8"),
    **dict.fromkeys(("vp09", "V_VP9"), "VP9"),
    **dict.fromkeys(("apch", "apcn", "apcs", "apco", "ap4h", "ap4x"), "ProRes"),
    **dict.fromkeys(("mp4v", "V_MPEG4/ISO/ASP"), "MPEG-4 Part 2"),
    **dict.fromkeys(("av01", "V_AV1"), "AV1"),
}
ALLOWED_CODECS = ("H.264", "H.265", "VP8", "VP9")


@dataclass(frozen=True)
class VideoFacts:
    """What the container says about the video; None where it did not say (or could not be read)."""

    container: str | None = None  # "mp4", "mov", "webm", "matroska"
    codec: str | None = None  # the four-cc or CodecID as found
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    unchecked: tuple[str, ...] = ()  # why a fact the container holds was not read (see unchecked_rules)

    @property
    def codec_name(self) -> str | None:
        return CODEC_NAMES.get(self.codec, self.codec)


class _Budget:
    """Counts nodes (the box or element headers read) and bytes; a reader past either cap gets nothing more. Notes
    where the bytes at hand first ran out (`missing`: a short read before the file's end), which is where a link
    read in pieces is read on."""

    def __init__(self, read_at, size: int | None):
        self._read_at, self.size, self.nodes, self.bytes, self.missing = read_at, size, 0, 0, None

    def read(self, offset: int, length: int, node: bool = False) -> bytes:
        self.nodes += node
        length = max(0, min(length, MAX_READ_BYTES - self.bytes))
        if length == 0 or offset < 0 or self.nodes > MAX_NODES:
            return b""
        data = bytes(self._read_at(offset, length))[:length]
        self.bytes += len(data)
        if len(data) < length and self.missing is None and (self.size is None or offset + len(data) < self.size):
            self.missing = offset + len(data)
        return data


def inspect_video(read_at, size: int | None, budget: _Budget | None = None) -> VideoFacts:
    """The facts of an MP4/MOV or WebM/Matroska file; never raises, unknown facts are None. (wanted_span passes
    its own budget, to learn where the bytes at hand ran out.)"""
    budget = budget or _Budget(read_at, size)
    try:
        head = budget.read(0, 64)
        kind = sniff_video_type(head)
        if kind in ("video/mp4", "video/quicktime"):
            return _inspect_iso(budget, budget.size, "mov" if kind == "video/quicktime" else "mp4")
        return _inspect_ebml(budget, budget.size) if head[:4] == EBML_MAGIC else VideoFacts()
    except Exception:  # noqa: BLE001 - the inspector answers "unknown" for any input it cannot read
        return VideoFacts()


def wanted_span(read_at, size: int | None, window: int) -> tuple[int, int] | None:
    """For a file read in pieces: the (offset, length) to read next, from where the inspector first found the bytes
    it wanted not at hand (a `moov` after `mdat`, a fragmented file's later fragments: found by the box headers
    alone), or None when it had every byte it read."""
    budget = _Budget(read_at, size)
    inspect_video(read_at, size, budget)
    if budget.missing is None:
        return None
    return budget.missing, window if size is None else min(window, size - budget.missing)


# ---- MP4 / MOV (ISO base media file format) ------------------------------------------------------------------


def _nodes(budget: _Budget, offset: int, end: int | None, form, cut: bool = True):
    """(type or id, body offset, body length) of the ISO boxes or EBML elements (`form`: _ISO or _EBML) from offset
    to end, one running past end cut there (unless not `cut`); the length is None only for one of unknown size when
    end is unknown too (it is then the last). Stops at the caps, at a bad header or at one not at hand."""
    read_header, room = form  # room: the bytes before end a header needs to be read at all
    while end is None or offset + room <= end:
        if (header := read_header(budget, offset)) is None:
            return
        kind, header_len, length = header
        body = offset + header_len
        if length is None or (cut and end is not None and body + length > end):
            length = None if end is None else max(0, end - body)
        yield kind, body, length
        if length is None:
            return
        offset = body + length


def _box_header(budget: _Budget, offset: int) -> tuple[bytes, int, int | None] | None:
    """An ISO box's (type, header length, body length: None when it runs to its parent's end); None when bad."""
    if len(header := budget.read(offset, 8, node=True)) < 8:
        return None
    box_size, box_type = struct.unpack(">I4s", header)
    header_len = 8
    if box_size == 1:
        if len(large := budget.read(offset + 8, 8)) < 8:
            return None
        box_size, header_len = struct.unpack(">Q", large)[0], 16
    elif box_size == 0:
        return box_type, header_len, None
    return (box_type, header_len, box_size - header_len) if box_size >= header_len else None


_ISO = (_box_header, 8)


def _inspect_iso(budget: _Budget, size: int | None, container: str) -> VideoFacts:
    facts, video, walked = {"container": container}, None, False
    for box_type, body, length in _nodes(budget, 0, size, _ISO, cut=False):
        end = None if length is None else body + length
        walked = size is not None and end == size
        if box_type == b"moov":
            video = _read_moov(budget, body, end, facts)
            if video is None or not video["fragmented"]:
                break
        elif video and box_type == b"sidx" and end and not video.get("fragments") and "duration_seconds" not in facts:
            _read_sidx(budget, body, end, size, facts)
        elif video and box_type == b"moof":
            _read_moof(budget, body, end, video)
            if "duration_seconds" in facts:
                break  # one fragment gives the frame rate; the others are not needed
    if video:
        _track_facts(video, walked, facts)
    return VideoFacts(**facts)


def _leaf(budget: _Budget, body: int, length: int | None, cap: int) -> bytes:
    """A leaf box's or element's body, at most `cap` bytes of it (`cap` bytes when its length is unknown)."""
    return budget.read(body, min(length if length is not None else cap, cap))


def _times(data: bytes) -> tuple[int, int]:
    """(timescale, duration) of an `mvhd` or `mdhd` body, which share the layout; (0, 0) when cut short."""
    if data[:1] == b"\x01":
        return struct.unpack_from(">IQ", data, 20) if len(data) >= 32 else (0, 0)
    return struct.unpack_from(">II", data, 12) if len(data) >= 20 else (0, 0)


def _read_moov(budget: _Budget, body: int, end: int | None, facts: dict) -> dict | None:
    """Sets the movie's duration; returns the first video track's boxes read (see _TRACK_LEAVES) and the numbers a
    fragmented file's fragments add to (None: no video track)."""
    (timescale, duration), video, fragmented, trex = (0, 0), None, False, {}  # trex: default durations by track
    for box_type, child, length in _nodes(budget, body, end, _ISO):
        child_end = None if length is None else child + length
        if box_type == b"mvhd":
            timescale, duration = _times(_leaf(budget, child, length, 120))
        elif box_type == b"trak" and video is None:
            track: dict = {}
            _walk(budget, _ISO, child, child_end, _TRACK_LEAVES, track, b"trak")
            video = track if track.get(b"hdlr") == b"vide" else None
        elif box_type == b"mvex":
            # A fragmented file: mvhd covers only the samples in moov; mehd, when present, gives the whole length.
            fragmented, duration = True, 0
            for leaf_type, at, leaf_len in _nodes(budget, child, child_end, _ISO):
                data = _leaf(budget, at, leaf_len, 16)
                if leaf_type == b"mehd" and len(data) >= 8:
                    duration = struct.unpack_from(">Q" if data[:1] == b"\x01" else ">I", data, 4)[0]
                elif leaf_type == b"trex" and len(data) >= 16:  # a track's default sample duration
                    trex[struct.unpack_from(">I", data, 4)[0]] = struct.unpack_from(">I", data, 12)[0]
    # 0 (a fragmented file keeps its length elsewhere) and all ones both mean "not given here".
    if timescale and duration not in (0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
        facts["duration_seconds"] = duration / timescale
    if video is not None:
        (track_id, *_size), (samples, ticks) = video.get(b"tkhd") or (0,), video.get(b"stts") or (0, 0)
        video.update(id=track_id, samples=samples, ticks=ticks, default=trex.get(track_id, 0), fragmented=fragmented)
    return video


def _tkhd(data: bytes) -> tuple[int, int, int]:
    # (track id, width, height): the id at 12 of the body (20 in version 1), width/height (16.16 fixed point) at
    # 76-84 (88-96), of which the integer halves are kept.
    id_at, at = (20, 88) if data[:1] == b"\x01" else (12, 76)
    if len(data) < at + 8:
        return 0, 0, 0
    return struct.unpack_from(">I", data, id_at)[0], *struct.unpack_from(">H2xH2x", data, at)


def _stsd_entry(data: bytes) -> tuple[str | None, tuple[int, int] | None]:
    """The first sample entry's four-cc, and the width/height of a visual sample entry."""
    if len(data) < 16 or struct.unpack_from(">I", data, 4)[0] < 1:
        return None, None
    fourcc = data[12:16]
    codec = fourcc.decode("latin-1") if all(32 <= c < 127 for c in fourcc) else None
    return codec, (struct.unpack_from(">HH", data, 40) if len(data) >= 44 else None)


def _stts_totals(data: bytes) -> tuple[int, int]:
    """(samples, ticks) summed over the time-to-sample table."""
    if len(data) < 8:
        return 0, 0
    entries = min(struct.unpack_from(">I", data, 4)[0], (len(data) - 8) // 8)
    table = list(struct.iter_unpack(">II", data[8 : 8 + 8 * entries]))
    return sum(count for count, _delta in table), sum(count * delta for count, delta in table)


def _walk(budget: _Budget, form, body: int, end: int | None, table: dict, found: dict, parent) -> None:
    """Reads into `found`, by type or id, what `table[parent]` names: a (bytes, reader) pair reads a value, None
    descends into a container. Each Matroska track entry is read apart, and only the first video track's kept;
    the walk stops at a Matroska cluster, since the headers come before the media."""
    for kind, at, length in _nodes(budget, body, end, form):
        entry, inner_end = table.get(parent, {}).get(kind, False), None if length is None else at + length
        if kind == _CLUSTER:
            return
        if entry is None and kind == _TRACK_ENTRY:
            track: dict = {}
            _walk(budget, form, at, inner_end, table, track, kind)
            if track.get(_TRACK_TYPE) == 1:
                found.update(track)
                return  # the other tracks are not read
        elif entry is None:
            _walk(budget, form, at, inner_end, table, found, kind)
        elif entry:
            found[kind] = entry[1](_leaf(budget, at, length, entry[0]))


# The boxes of a track that are read, under the box that holds them: how many of their bytes and what is kept of
# them, or None for the boxes that hold them. The track's handler is the media handler in `mdia`: a QuickTime `minf`
# holds a second `hdlr`, the data handler ("url ", "alis"), which says nothing of the track's kind.
_TRACK_LEAVES = {
    b"trak": {b"tkhd": (128, _tkhd), b"mdia": None},
    b"mdia": {b"mdhd": (64, _times), b"hdlr": (32, lambda data: data[8:12]), b"minf": None},  # hdlr: b"vide"
    b"minf": {b"stbl": None},
    b"stbl": {b"stsd": (64, _stsd_entry), b"stts": (8 + 8 * MAX_STTS_ENTRIES, _stts_totals)},
}


# ---- Fragmented MP4: the samples in moof/mdat pairs after a moov with mvex ----

FRAGMENTS_UNREAD = (
    "The video is a fragmented MP4 whose fragments were too many to read here, so its duration was not checked."
)


def _read_sidx(budget: _Budget, body: int, end: int, size: int | None, facts: dict) -> None:
    """The duration a segment index gives, when its references run to the file's end (or to the `mfra` index some
    muxers add there): a DASH segment's own index covers that segment only."""
    data = _leaf(budget, body, end - body, 32 + 12 * MAX_STTS_ENTRIES)
    start = 32 if data[:1] == b"\x01" else 24  # the references follow the times (64-bit in version 1)
    if len(data) < start:
        return
    # Reference id, timescale, earliest time, offset of the first reference (from the end of this box), count.
    _id, timescale, _earliest, first, count = struct.unpack_from(">IIQQ2xH" if start == 32 else ">IIII2xH", data, 4)
    references = list(struct.iter_unpack(">III", data[start : start + 12 * count]))
    covered = end + first + sum(reference & 0x7FFFFFFF for reference, _ticks, _sap in references)
    ticks = sum(ticks for _reference, ticks, _sap in references)
    if timescale and ticks and len(references) == count and (covered == size or budget.read(covered, 8)[4:] == b"mfra"):
        facts["duration_seconds"] = ticks / timescale


def _read_moof(budget: _Budget, body: int, end: int | None, video: dict) -> None:
    """Adds the video track's samples and ticks in one fragment: its track runs' sample durations, when given, else
    the default duration (tfhd's, else trex's)."""
    video["fragments"] = video.get("fragments", 0) + 1
    trafs = [(traf, length) for box_type, traf, length in _nodes(budget, body, end, _ISO) if box_type == b"traf"]
    for traf, length in trafs:
        default, ours = video["default"], False
        for leaf_type, at, leaf_len in _nodes(budget, traf, None if length is None else traf + length, _ISO):
            data = _leaf(budget, at, leaf_len, 12 + 16 * MAX_STTS_ENTRIES) if leaf_type in (b"tfhd", b"trun") else b""
            # After version and flags: tfhd's track id, trun's sample count.
            flags, number = int.from_bytes(data[1:4], "big"), int.from_bytes(data[4:8], "big")
            if leaf_type == b"tfhd" and len(data) >= 8:
                ours = number == video["id"]
                # The default duration follows the optional base offset (8 bytes) and description index (4).
                at_default = 8 + 8 * (flags & 1) + 4 * (flags >> 1 & 1)
                if flags & 8 and len(data) >= at_default + 4:
                    default = struct.unpack_from(">I", data, at_default)[0]
            elif leaf_type == b"trun" and ours and len(data) >= 8:
                # Per sample, 4 bytes for each of duration, size, flags and time offset the flags say are present.
                at, stride = 8 + 4 * (flags & 1) + 4 * (flags >> 2 & 1), 4 * bin(flags & 0xF00).count("1")
                given = range(at, min(len(data) - 3, at + stride * number), stride) if flags & 0x100 else ()
                durations = [int.from_bytes(data[i : i + 4], "big") for i in given]
                video["samples"] += len(durations) if flags & 0x100 else number
                video["ticks"] += sum(durations) if flags & 0x100 else number * default


def _track_facts(video: dict, walked: bool, facts: dict) -> None:
    """The video track's codec, picture size (tkhd's, else the sample entry's), frame rate from the samples read (a
    fragmented file's: else its default duration), and a fragmented file's duration when neither mehd nor sidx gave
    it: its samples', when every fragment was read."""
    facts["codec"], entry_size = video.get(b"stsd") or (None, None)
    sides = (video.get(b"tkhd", (0, 0, 0))[1:], entry_size or (0, 0))
    facts["width"], facts["height"] = next((pair for pair in sides if all(pair)), (None, None))
    timescale, samples, ticks = video.get(b"mdhd", (0, 0))[0], video["samples"], video["ticks"]
    if timescale and samples and ticks:
        facts["frame_rate"] = round(samples * timescale / ticks, 3)
    elif timescale and video["default"]:
        facts["frame_rate"] = round(timescale / video["default"], 3)
    if video["fragmented"] and "duration_seconds" not in facts:
        if walked and timescale and ticks:
            facts["duration_seconds"] = ticks / timescale
        else:
            facts["unchecked"] = (FRAGMENTS_UNREAD,)


# ---- WebM / Matroska (EBML) ----------------------------------------------------------------------------------

EBML_ID = 0x1A45DFA3
_SEGMENT, _INFO, _TRACKS, _CLUSTER = 0x18538067, 0x1549A966, 0x1654AE6B, 0x1F43B675
_TRACK_ENTRY, _TRACK_TYPE, _CODEC_ID, _DEFAULT_DURATION, _VIDEO = 0xAE, 0x83, 0x86, 0x23E383, 0xE0
_PIXEL_WIDTH, _PIXEL_HEIGHT, _TIMECODE_SCALE, _DURATION, _DOCTYPE = 0xB0, 0xBA, 0x2AD7B1, 0x4489, 0x4282


def _element_header(budget: _Budget, offset: int) -> tuple[int, int, int | None] | None:
    """An EBML element's (id, header length, body length: None for "unknown size"); None when bad."""
    header = budget.read(offset, 12, node=True)
    # The id and the size are variable-length integers: the leading zeros of the first byte say how many bytes follow
    # it (a zero byte, or none, is no valid start). The id keeps that length marker; the size drops it.
    id_len = 9 - header[0].bit_length() if header else 9
    size_len = 9 - header[id_len].bit_length() if id_len < len(header) else 9
    if id_len > 4 or size_len > 8 or id_len + size_len > len(header):
        return None
    unknown = (1 << (7 * size_len)) - 1  # a size of all ones: unknown
    length = int.from_bytes(header[id_len : id_len + size_len], "big") & unknown
    return int.from_bytes(header[:id_len], "big"), id_len + size_len, None if length == unknown else length


_EBML = (_element_header, 1)


def _uint(data: bytes) -> int | None:
    return int.from_bytes(data, "big") if 1 <= len(data) <= 8 else None


def _text(data: bytes) -> str | None:
    data = data.rstrip(b"\x00")
    return data.decode("ascii") if data and all(32 <= c < 127 for c in data) else None


def _float(data: bytes) -> float | None:
    return struct.unpack(">f" if len(data) == 4 else ">d", data)[0] if len(data) in (4, 8) else None


# The elements read, by the element that holds them (see _walk); a Duration of any other length than 4 or 8 is none.
_EBML_READ = {
    None: {EBML_ID: None, _SEGMENT: None},
    EBML_ID: {_DOCTYPE: (32, _text)},
    _SEGMENT: {_INFO: None, _TRACKS: None},
    _INFO: {_TIMECODE_SCALE: (8, _uint), _DURATION: (16, _float)},
    _TRACKS: {_TRACK_ENTRY: None},
    _TRACK_ENTRY: {_TRACK_TYPE: (8, _uint), _CODEC_ID: (64, _text), _DEFAULT_DURATION: (8, _uint), _VIDEO: None},
    _VIDEO: {_PIXEL_WIDTH: (8, _uint), _PIXEL_HEIGHT: (8, _uint)},
}


def _inspect_ebml(budget: _Budget, size: int | None) -> VideoFacts:
    found: dict = {}
    _walk(budget, _EBML, 0, size, _EBML_READ, found, None)
    duration, nanoseconds = found.get(_DURATION), found.get(_DEFAULT_DURATION)
    seconds = duration * (found.get(_TIMECODE_SCALE) or 1_000_000) / 1e9 if duration is not None else math.nan
    return VideoFacts(
        container={"webm": "webm", "matroska": "matroska"}.get(found.get(_DOCTYPE)),
        codec=found.get(_CODEC_ID),
        # A Duration near 1e300 times the scale is no number JSON can hold.
        duration_seconds=seconds if math.isfinite(seconds) and seconds > 0 else None,
        width=found.get(_PIXEL_WIDTH) or None,
        height=found.get(_PIXEL_HEIGHT) or None,
        frame_rate=round(1e9 / nanoseconds, 3) if nanoseconds else None,
    )


# ---- TikTok's rules ------------------------------------------------------------------------------------------

MIN_FRAME_RATE, MAX_FRAME_RATE = 23, 60
MIN_SIDE, MAX_SIDE = 360, 4096


def media_problems(facts: VideoFacts, max_seconds: int | None = None) -> list[str]:
    """Every rule the facts break, each as a plain sentence naming the value found and the rule. A fact that
    could not be read breaks no rule: TikTok then decides. TikTok documents no minimum duration."""
    problems = []
    if facts.container not in (None, "mp4", "mov", "webm"):
        problems.append(
            f"The video is a {facts.container.title()} file; TikTok accepts only MP4, MOV and WebM. Re-export it."
        )
    if (name := facts.codec_name) is not None and name not in ALLOWED_CODECS:
        problems.append(
            f"The video is encoded as {name}; TikTok accepts H.264, H.265, VP8 or VP9. Re-export it as H.264 (the "
            "most compatible)."
        )
    if (rate := facts.frame_rate) is not None and not MIN_FRAME_RATE <= round(rate, 1) <= MAX_FRAME_RATE:
        problems.append(
            f"The video runs at {_number(rate)} frames per second; TikTok accepts {MIN_FRAME_RATE} to "
            f"{MAX_FRAME_RATE}. Re-export it at 30 frames per second, for example."
        )
    if None not in (sides := (facts.width, facts.height)) and not all(MIN_SIDE <= side <= MAX_SIDE for side in sides):
        problems.append(
            f"The video is {facts.width}x{facts.height} pixels; TikTok accepts {MIN_SIDE} to {MAX_SIDE} pixels on "
            "each side. Resize it."
        )
    if (duration := facts.duration_seconds) is not None and max_seconds and duration > max_seconds:
        problems.append(
            f"The video is {duration:.1f} seconds long, but this TikTok account may post at most {max_seconds} "
            "seconds through apps right now. Trim the video."
        )
    return problems


def unchecked_rules(facts: VideoFacts, max_seconds: int | None, why_no_limit: str | None = None) -> list[str]:
    """Plain sentences for each rule that could not be checked, and why. why_no_limit says why the account's
    longest allowed video is unknown, when it is."""
    read = {"codec": facts.codec, "frame rate": facts.frame_rate, "picture size": facts.width and facts.height}
    missing = [
        f"The {fact} could not be read from the file, so it was not checked." for fact in read if read[fact] is None
    ]
    if facts.duration_seconds is None:
        missing += facts.unchecked or ["The duration could not be read from the file, so it was not checked."]
    elif not max_seconds:
        why = why_no_limit or "TikTok did not say how long this account's videos may be"
        missing.append(f"The duration was not checked against the account's limit: {why}.")
    return missing


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.005 else f"{value:.2f}"


class NotAVideo(InputError):
    """The file's first bytes are not those of an MP4, MOV or WebM video."""


NOT_A_VIDEO = (
    "The file is not an MP4, MOV or WebM video (its first bytes do not match any of them); TikTok accepts only those."
)


def require_video_type(head: bytes) -> str:
    if (content_type := sniff_video_type(head)) is None:
        raise NotAVideo(NOT_A_VIDEO.removesuffix(".") + "; nothing was posted.")
    return content_type


class MediaRefusal(InputError):
    """The facts break TikTok's media rules; the message lists why, in plain sentences."""


def check_media(facts: VideoFacts, max_seconds: int | None = None) -> None:
    if problems := media_problems(facts, max_seconds):
        raise MediaRefusal(" ".join(problems) + " Nothing was posted.")


# ---- Photos ------------------------------------------------------------------------------------------------------

MAX_PHOTO_BYTES = 20_000_000


# TikTok refuses a photo over 1080 pixels (picture_size_check_failed) without saying which side counts; field
# reports fit both "the shorter side" and "the width". Over 1080 on the shorter side fails either reading.
MAX_PHOTO_SIDE = 1080


def picture_size(head: bytes) -> tuple[int, int] | None:
    """A JPEG's or WebP's (width, height) as shown (EXIF rotation applied), from its first bytes; None when they do
    not hold it (a JPEG's metadata can push its frame header far into the file)."""
    width, height = imagesize.get(io.BytesIO(head))  # (-1, -1) for anything it cannot read; it never raises
    return (width, height) if width > 0 and height > 0 else None


def jpeg_runs_on(head: bytes) -> bool:
    """Whether a JPEG's segments run unbroken past `head`, so that its frame header may lie further in (a camera's
    metadata can be longer than a first read); corrupt data does not."""
    at = 2
    while at + 4 <= len(head) and head[at] == 0xFF:  # a marker, then the segment's length
        at += 2 + int.from_bytes(head[at + 2 : at + 4], "big")
    return at + 4 > len(head) and head[:3] == b"\xff\xd8\xff"


def photo_verdict(
    position: int, url_label: str, head: bytes, size: int | None, picture=None
) -> tuple[str | None, str | None]:
    """(why TikTok would refuse the photo, why it might): JPEG or WebP of at most 20 MB and 1080 pixels on the
    shorter side; wider than 1080 pixels may be refused. None where the photo passes or could not be read."""
    signatures = {  # the kinds a photo link commonly holds, from their first bytes
        "JPEG": head[:3] == b"\xff\xd8\xff",
        "WebP": head[:4] == b"RIFF" and head[8:12] == b"WEBP",
        "PNG": head[:8] == b"\x89PNG\r\n\x1a\n",
        "GIF": head[:6] in (b"GIF87a", b"GIF89a"),
        "HEIC/AVIF": head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"avif"),
    }
    kind = next((label for label, found in signatures.items() if found), None)
    name = f"Photo #{position} ({url_label})"
    width, height = picture or (0, 0)
    if head and kind not in ("JPEG", "WebP"):
        what = f"a {kind} image" if kind else "not a JPEG or WebP image"
        return f"{name} is {what}; TikTok accepts only JPEG and WebP photos. Convert it.", None
    if size is not None and size > MAX_PHOTO_BYTES:
        return f"{name} is {size / 1e6:.1f} MB; TikTok accepts photos of at most 20 MB. Make it smaller.", None
    if min(width, height) > MAX_PHOTO_SIDE:
        return f"{name} is {width}x{height} pixels; TikTok accepts at most 1080 pixels. Resize it.", None
    if width > MAX_PHOTO_SIDE:
        return None, (
            f"{name} is {width} pixels wide; TikTok may refuse a photo wider than 1080 pixels (its limit does not say "
            "which side). If TikTok refuses the post, resize it to 1080 pixels wide."
        )
    return None, None
