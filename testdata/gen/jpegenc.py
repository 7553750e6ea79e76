"""A small baseline JPEG encoder (numpy) for the sampling factors Pillow cannot write.

Pillow's encoder offers 4:4:4, 4:2:2 and 4:2:0 only ("4:1:1" is an alias of 4:2:0), but
decoders meet 4:1:1 (h4v1), 4:4:0 (h1v2) and 4:1:0 (h4v2) files from cameras and other
encoders. This writes such files: JFIF, baseline sequential, interleaved, optional restart
interval and EXIF. The quantisation and Huffman tables are libjpeg's standard ones, read
from a JPEG that Pillow writes at the same quality (so nothing is typed in by hand).

Only the decoded result matters to the tests (Pillow and the Go decoder read the same
bytes), so the forward DCT is plain float numpy; the output is still deterministic.
"""
import io
import math
import struct

import numpy as np
from PIL import Image

# Zigzag order: ZIGZAG[k] is the natural (row-major) index of the k-th coefficient.
ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
    45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63])

_DCT = np.array([[(math.sqrt(0.5) if u == 0 else 1.0) / 2 * math.cos((2 * x + 1) * u * math.pi / 16)
                  for x in range(8)] for u in range(8)])


def _segments(data):
    """(marker, payload) of every segment before SOS."""
    i, out = 2, []
    while i < len(data):
        m = data[i + 1]
        n = struct.unpack(">H", data[i + 2:i + 4])[0]
        out.append((m, data[i + 4:i + 2 + n]))
        if m == 0xDA:
            break
        i += 2 + n
    return out


def standard_tables(quality):
    """libjpeg's quantisation tables (natural order) for quality and its four standard
    Huffman tables, as Pillow (libjpeg-turbo) writes them."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "JPEG", quality=quality, subsampling=2)
    q, huff = {}, {}
    for m, p in _segments(buf.getvalue()):
        if m == 0xDB:
            while p:
                tid = p[0] & 15
                assert p[0] >> 4 == 0, "8-bit tables only"
                zz = np.frombuffer(p[1:65], dtype=np.uint8).astype(np.int64)
                nat = np.empty(64, dtype=np.int64)
                nat[ZIGZAG] = zz
                q[tid] = nat
                p = p[65:]
        elif m == 0xC4:
            while p:
                tc_th = p[0]
                bits = list(p[1:17])
                n = sum(bits)
                vals = list(p[17:17 + n])
                huff[tc_th] = (bits, vals)
                p = p[17 + n:]
    return q, huff


def _codes(bits, vals):
    """symbol -> (code, length), JPEG's canonical Huffman codes (Annex C)."""
    out, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            out[vals[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return out


class _Bits:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, code, length):
        self.acc = (self.acc << length) | code
        self.n += length
        while self.n >= 8:
            self.n -= 8
            b = (self.acc >> self.n) & 0xFF
            self.out.append(b)
            if b == 0xFF:
                self.out.append(0)  # byte stuffing
        self.acc &= (1 << self.n) - 1

    def flush(self):
        if self.n:
            self.put((1 << (8 - self.n)) - 1, 8 - self.n)  # pad with 1 bits


def _size(v):
    return int(abs(v)).bit_length()


def _downsample(plane, sx, sy):
    h, w = plane.shape
    ph, pw = -(-h // sy) * sy, -(-w // sx) * sx
    p = np.pad(plane, ((0, ph - h), (0, pw - w)), mode="edge")
    return p.reshape(ph // sy, sy, pw // sx, sx).mean(axis=(1, 3))


def encode(rgb, quality=85, sampling=((4, 1), (1, 1), (1, 1)), restart=0, exif=None):
    """JPEG bytes of an RGB uint8 array (h, w, 3) as YCbCr with per-component sampling
    factors (h, v) and a restart interval in MCUs (0: none)."""
    h, w = rgb.shape[:2]
    x = rgb.astype(np.float64)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    planes = [0.299 * r + 0.587 * g + 0.114 * b,
              -0.168735892 * r - 0.331264108 * g + 0.5 * b + 128,
              0.5 * r - 0.418687589 * g - 0.081312411 * b + 128]
    hmax = max(s[0] for s in sampling)
    vmax = max(s[1] for s in sampling)
    mcux, mcuy = -(-w // (8 * hmax)), -(-h // (8 * vmax))
    qt, huff = standard_tables(quality)
    tables = [0, 1, 1]  # quantisation / Huffman table of each component
    dc = [_codes(*huff[0x00]), _codes(*huff[0x01])]
    ac = [_codes(*huff[0x10]), _codes(*huff[0x11])]

    comps = []
    for ci, (p, (hs, vs)) in enumerate(zip(planes, sampling)):
        assert hmax % hs == 0 and vmax % vs == 0
        d = _downsample(p, hmax // hs, vmax // vs)
        bw, bh = mcux * hs * 8, mcuy * vs * 8
        d = np.pad(d, ((0, bh - d.shape[0]), (0, bw - d.shape[1])), mode="edge") - 128.0
        blocks = d.reshape(bh // 8, 8, bw // 8, 8).transpose(0, 2, 1, 3)
        coef = np.einsum("ux,abxy,vy->abuv", _DCT, blocks, _DCT).reshape(bh // 8, bw // 8, 64)
        quant = np.round(coef / qt[tables[ci]]).astype(np.int64)
        comps.append(np.clip(quant, -2047, 2047)[:, :, ZIGZAG])

    bits = _Bits()
    pred = [0, 0, 0]
    nmcu = mcux * mcuy
    for m in range(nmcu):
        if restart and m and m % restart == 0:
            bits.flush()
            bits.out += bytes([0xFF, 0xD0 + (m // restart - 1) % 8])
            pred = [0, 0, 0]
        my, mx = divmod(m, mcux)
        for ci, (hs, vs) in enumerate(sampling):
            t = tables[ci]
            for by in range(vs):
                for bx in range(hs):
                    blk = comps[ci][my * vs + by, mx * hs + bx]
                    diff = int(blk[0]) - pred[ci]
                    pred[ci] = int(blk[0])
                    s = _size(diff)
                    bits.put(*dc[t][s])
                    if s:
                        bits.put(diff if diff > 0 else diff + (1 << s) - 1, s)
                    run = 0
                    nz = np.nonzero(blk[1:])[0] + 1
                    last = 0
                    for k in nz:
                        k = int(k)
                        run = k - last - 1
                        while run > 15:
                            bits.put(*ac[t][0xF0])
                            run -= 16
                        v = int(blk[k])
                        s = _size(v)
                        bits.put(*ac[t][(run << 4) | s])
                        bits.put(v if v > 0 else v + (1 << s) - 1, s)
                        last = k
                    if last < 63:
                        bits.put(*ac[t][0x00])  # EOB
    bits.flush()

    def seg(marker, payload):
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    out = bytearray(b"\xff\xd8")
    out += seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    if exif:
        out += seg(0xE1, exif)
    for tid in (0, 1):
        out += seg(0xDB, bytes([tid]) + bytes(int(v) for v in qt[tid][ZIGZAG]))
    sof = struct.pack(">BHHB", 8, h, w, 3)
    for ci, (hs, vs) in enumerate(sampling):
        sof += bytes([ci + 1, (hs << 4) | vs, tables[ci]])
    out += seg(0xC0, sof)
    for tc_th in (0x00, 0x10, 0x01, 0x11):
        b_, v_ = huff[tc_th]
        out += seg(0xC4, bytes([tc_th]) + bytes(b_) + bytes(v_))
    if restart:
        out += seg(0xDD, struct.pack(">H", restart))
    sos = bytes([3])
    for ci in range(3):
        sos += bytes([ci + 1, (tables[ci] << 4) | tables[ci]])
    out += seg(0xDA, sos + b"\x00\x3f\x00")
    out += bits.out
    out += b"\xff\xd9"
    return bytes(out)
