"""The firmware's formatter (firmware/board/m7_print.c) built for the host and compared with Python's
% formatting and with the host C library's snprintf, the two references it follows."""

from __future__ import annotations

import ctypes
import math
import random
import struct

import pytest

from tests._skips import requires_host_cc

pytestmark = requires_host_cc


@pytest.fixture(scope="module")
def fmt(host_lib):
    lib = ctypes.CDLL(str(host_lib))
    libc = ctypes.CDLL(None)

    def call(func, fmt_text: str, *args, size: int = 512) -> tuple[int, str]:
        buf = ctypes.create_string_buffer(size)
        n = func(buf, ctypes.c_size_t(size), fmt_text.encode(), *args)
        return n, buf.value.decode()

    def m7(fmt_text: str, *args, size: int = 512) -> str:
        n, text = call(lib.m7_snprintf, fmt_text, *args, size=size)
        assert n == len(text) or size <= n
        return text

    m7.libc = lambda fmt_text, *args: call(libc.snprintf, fmt_text, *args)[1]  # type: ignore[attr-defined]
    m7.raw = lambda fmt_text, *args, size: call(lib.m7_snprintf, fmt_text, *args, size=size)  # type: ignore
    return m7


def py(form: str, *args: object) -> str:
    """Python's % formatting: the reference (C semantics where the two agree)."""
    return form % args


INT_VALUES = [0, 1, -1, 7, -42, 1000, 123456789, 2**31 - 1, -(2**31)]
INT_FORMATS = ["%d", "%i", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.3d", "%8.3d", "%-+6d|", "%012d"]
UINT_VALUES = [0, 1, 255, 0xBEEF, 0xDEADBEEF, 2**32 - 1]
UINT_FORMATS = ["%u", "%x", "%X", "%08x", "%8x", "%-8x|", "%.6x", "%010u"]


@pytest.mark.parametrize("form", INT_FORMATS)
def test_signed_int_matches_python(fmt, form):
    for v in INT_VALUES:
        assert fmt(form, ctypes.c_int(v)) == form % v, (form, v)


@pytest.mark.parametrize("form", UINT_FORMATS)
def test_unsigned_int_matches_python(fmt, form):
    for v in UINT_VALUES:
        assert fmt(form, ctypes.c_uint(v)) == form % v, (form, v)


def test_64_bit_integers(fmt):
    for v in [0, -1, 2**63 - 1, -(2**63), 1234567890123]:
        assert fmt("%lld", ctypes.c_longlong(v)) == py("%d", v)
    for v in [0, 2**64 - 1, 0x0123456789ABCDEF]:
        assert fmt("%llu", ctypes.c_ulonglong(v)) == py("%d", v)
        assert fmt("%016llx", ctypes.c_ulonglong(v)) == py("%016x", v)
    assert fmt("%zu", ctypes.c_size_t(4096)) == "4096"


def test_strings_and_chars(fmt):
    for form in ["%s", "%10s", "%-10s|", "%.2s", "%5.1s|", "[%s]"]:
        for s in ["", "a", "hello", "m7amp STM32F767"]:
            assert fmt(form, s.encode()) == form % s, (form, s)
    for form in ["%c", "%3c", "%-3c|"]:
        assert fmt(form, ctypes.c_int(ord("z"))) == form % "z"
    assert fmt("%s", None) == "(null)"
    assert fmt("100%% %s", b"done") == "100% done"


def _random_doubles(rng: random.Random, n: int) -> list[float]:
    values = [0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 2.675, 1.005, 9.9999995, 999999.9999995,
              1e-7, 5e-7, 4.9999999e-7, 3.14159265358979, 1 / 3, 2**53, 2**63, 1e18, 1.8e19, 5e-324, 1e-310]
    for _ in range(n):
        kind = rng.random()
        if kind < 0.4:
            v = rng.uniform(-1000, 1000)
        elif kind < 0.7:
            v = rng.choice([-1, 1]) * 10 ** rng.uniform(-12, 19)
        elif kind < 0.85:  # exact binary ties at some decimal position
            v = rng.randint(-10**6, 10**6) / 2 ** rng.randint(1, 12)
        else:  # random bit patterns of finite doubles below 2^64
            v = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
            if not math.isfinite(v) or abs(v) >= 2**64:
                v = 0.1
        values.append(v)
    return values


def test_float_matches_python_correct_rounding(fmt):
    """%f with precisions 0..12 (and the default 6) equals Python's correctly rounded output."""
    rng = random.Random(767)
    forms = ["%f", "%.0f", "%.1f", "%.2f", "%.3f", "%.4f", "%.6f", "%.9f", "%.12f", "%10.3f", "%-10.2f|",
             "%010.3f", "%+.2f", "% .1f", "%+08.1f"]
    mismatches = []
    for v in _random_doubles(rng, 700):
        for form in forms:
            got, want = fmt(form, ctypes.c_double(v)), form % v
            if got != want:
                mismatches.append((form, v.hex(), got, want))
    assert not mismatches, mismatches[:10]


def test_float_long_precision_is_exact(fmt):
    """Digits beyond 17 come from the exact binary value (0.1 is 0.1000000000000000055511...)."""
    assert fmt("%.25f", ctypes.c_double(0.1)) == py("%.25f", 0.1)
    assert fmt("%.30f", ctypes.c_double(1e-10)) == py("%.30f", 1e-10)


def test_non_finite_and_out_of_range(fmt):
    assert fmt("%f", ctypes.c_double(math.inf)) == "inf"
    assert fmt("%f", ctypes.c_double(-math.inf)) == "-inf"
    assert fmt("%f", ctypes.c_double(math.nan)) == "nan"
    assert fmt("%+f", ctypes.c_double(math.nan)) == "+nan"
    assert fmt("%6.1f|", ctypes.c_double(math.inf)) == "   inf|"
    assert fmt("%f", ctypes.c_double(2.0**64)) == "ovf"  # documented limit


@pytest.mark.parametrize("form, args", [
    ("%08.2f", (ctypes.c_double(math.inf),)),  # C pads non-finite with spaces (Python: zeros)
    ("%.0d", (ctypes.c_int(0),)),              # C: zero digits (Python: "0")
    ("%+x", (ctypes.c_uint(5),)),              # C: '+' ignored for unsigned (Python: "+5")
    ("%-08d|", (ctypes.c_int(-3),)),           # '-' wins over '0'
    ("%.3d", (ctypes.c_int(-7),)),
    ("%5.2s|", (b"abc",)),
    ("%x %X %u", (ctypes.c_uint(0xABCDEF), ctypes.c_uint(0xABCDEF), ctypes.c_uint(3000000000))),
])
def test_c_semantics_match_libc(fmt, form, args):
    """Where Python and C disagree, the formatter follows C (checked against the host libc)."""
    assert fmt(form, *args) == fmt.libc(form, *args)


def test_truncation_returns_full_length(fmt):
    n, text = fmt.raw("%s-%d", b"abcdef", ctypes.c_int(12345), size=5)
    assert (n, text) == (12, "abcd")
    n, text = fmt.raw("%08x", ctypes.c_uint(1), size=1)
    assert (n, text) == (8, "")


def test_unsupported_directive_is_printed_literally(fmt):
    assert fmt("a %e b", ctypes.c_double(1.0)) == "a %e b"
