"""The pickle serializer: refuses to decode unless allowed, and even then resolves only the type's classes.

Crafted pickles are decoded in a child process, so that one which crashes the interpreter (as numpy's
own reconstruction functions can be made to) fails the test instead of ending the test run.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rpc_helpers import make
from test_rpc_bad_input import GOOD, ORDER

from distlab.rpc import DecodeError, EncodeError
from distlab.rpc import FLOAT64, INT32, INT64, UINT64, Array, Opaque, Ref, String, Struct, equal

HERE = Path(__file__).resolve().parent

TREE = Ref("tree")
TREE.bind(Array(TREE))
TYPES = {"int32": INT32, "uint64": UINT64, "uint64s": Array(UINT64), "opaques": Array(Opaque()), "tree": TREE}

# -- a small pickle assembler (protocol 4 opcodes), to write what pickle.dumps never would ----------


def _str(s: str) -> bytes:
    b = s.encode()
    return b"\x8c" + bytes((len(b),)) + b  # SHORT_BINUNICODE


def _bytes(b: bytes) -> bytes:
    return b"B" + struct.pack("<I", len(b)) + b  # BINBYTES


def _int(n: int) -> bytes:
    b = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8b" + struct.pack("<I", len(b)) + b  # LONG4


def _tuple(*items: bytes) -> bytes:
    return b"(" + b"".join(items) + b"t"  # MARK ... TUPLE


def _global(module: str, name: str) -> bytes:
    return _str(module) + _str(name) + b"\x93"  # STACK_GLOBAL


def _call(func: bytes, *args: bytes) -> bytes:
    return func + _tuple(*args) + b"R"  # REDUCE


def _pickle(body: bytes) -> bytes:
    return b"\x80\x04" + body + b"."  # PROTO 4 ... STOP


_NV = _global("distlab_serializers.pickle_format", "_numpy_value")
_DTYPE = _global("numpy", "dtype")


def _np_value(dtype: bytes, shape: bytes, raw: bytes) -> bytes:
    return _pickle(_call(_NV, dtype, shape, raw))


# A dtype whose item size is set after an array was made over 4 bytes: plain pickle.loads builds
# that array, and reading its item reads 1 GiB past the buffer (a segmentation fault).
_DTYPE_SETSTATE = _pickle(
    _call(_DTYPE, _str("V4")) + b"\x94"  # memo 0: the dtype
    + _call(_global("numpy._core.numeric", "_frombuffer"), _bytes(b"abcd"), b"h\x00", _tuple(_int(1)), _str("C"))
    + b"\x94"  # memo 1: the array
    + b"0h\x00" + _tuple(_int(3), _str("|"), b"NNN", _int(2**30), _int(1), _int(0)) + b"b0"  # BUILD the dtype
    + b"h\x01"
)

MALICIOUS: dict[str, tuple[bytes, str]] = {
    "os.system": (_pickle(_call(_global("os", "system"), _str("exit 3"))), "int32"),
    "posix.system": (_pickle(_call(_global("posix", "system"), _str("exit 3"))), "int32"),
    "builtins.eval": (_pickle(_call(_global("builtins", "eval"), _str("7"))), "int32"),
    "builtins.getattr": (_pickle(_call(_global("builtins", "getattr"), _int(1), _str("real"))), "int32"),
    "copyreg._reconstructor": (_pickle(_call(_global("copyreg", "_reconstructor"), _global("builtins", "int"), _global("builtins", "int"), _int(3))), "int32"),
    "numpy _frombuffer, short buffer": (
        _pickle(_call(_global("numpy._core.numeric", "_frombuffer"), _bytes(b"abcdefgh"), _call(_DTYPE, _str("u8")), _tuple(_int(10**8)), _str("C"))),
        "uint64s",
    ),
    "numpy.core _frombuffer": (
        _pickle(_call(_global("numpy.core.numeric", "_frombuffer"), _bytes(b"abcdefgh"), _call(_DTYPE, _str("u8")), _tuple(_int(1)), _str("C"))),
        "uint64s",
    ),
    "numpy dtype of huge item size": (_pickle(_call(_DTYPE, _str("V2147483647"))), "opaques"),
    "numpy dtype setstate": (_DTYPE_SETSTATE, "opaques"),
    "numpy _reconstruct": (
        _pickle(_call(_global("numpy._core.multiarray", "_reconstruct"), _global("numpy", "ndarray"), _tuple(_int(0)), _bytes(b"b"))),
        "uint64s",
    ),
    "numpy scalar": (_pickle(_call(_global("numpy.core.multiarray", "scalar"), _call(_DTYPE, _str("u8")), _bytes(b"\0"))), "uint64"),
    "_numpy_value object dtype": (_np_value(_str("|O"), _tuple(_int(1)), _bytes(b"\xef\xbe\xad\xde" * 2)), "opaques"),
    "_numpy_value void dtype": (_np_value(_str("|V8"), _tuple(_int(1)), _bytes(bytes(8))), "opaques"),
    "_numpy_value unicode dtype": (_np_value(_str("<U1"), _tuple(_int(1)), _bytes(b"\xff\xff\xff\xff")), "opaques"),
    "_numpy_value dtype not a str": (_np_value(_bytes(b"<u8"), _tuple(_int(1)), _bytes(bytes(8))), "uint64s"),
    "_numpy_value short data": (_np_value(_str("<u8"), _tuple(_int(10**8)), _bytes(bytes(8))), "uint64s"),
    "_numpy_value long data": (_np_value(_str("<u8"), _tuple(_int(1)), _bytes(bytes(16))), "uint64s"),
    "_numpy_value negative count": (_np_value(_str("<u8"), _tuple(_int(-1), _int(-1)), _bytes(bytes(8))), "uint64s"),
    "_numpy_value huge count": (_np_value(_str("<u8"), _tuple(_int(2**64 + 1)), _bytes(bytes(8))), "uint64s"),
    "_numpy_value zero times huge": (_np_value(_str("<u8"), _tuple(_int(0), _int(2**62), _int(2**62)), _bytes(b"")), "uint64s"),
    "_numpy_value bool count": (_np_value(_str("<u8"), _tuple(b"\x88"), _bytes(bytes(8))), "uint64s"),
    "_numpy_value 33 dimensions": (_np_value(_str("<u8"), _tuple(*[_int(1)] * 33), _bytes(bytes(8))), "uint64s"),
    "_numpy_value shape a list": (_np_value(_str("<u8"), b"](" + _int(1) + b"e", _bytes(bytes(8))), "uint64s"),
    "_numpy_value data a bytearray": (_np_value(_str("<u8"), _tuple(_int(1)), b"\x96" + struct.pack("<Q", 8) + bytes(8)), "uint64s"),
    "_numpy_value data a str": (_np_value(_str("<u8"), _tuple(_int(1)), _str("abcdefgh")), "uint64s"),
    "_numpy_value then BUILD": (
        _pickle(_call(_NV, _str("<u8"), _tuple(_int(1)), _bytes(bytes(8))) + _tuple(_int(1), _tuple(_int(10**8)), _int(3), b"\x89", _bytes(b"x")) + b"b"),
        "uint64s",
    ),
    "_codecs.encode of another codec": (_pickle(_call(_global("_codecs", "encode"), _str("x"), _str("zlib_codec"))), "opaques"),
    "_codecs.encode of bytes": (_pickle(_call(_global("_codecs", "encode"), _bytes(b"x"), _str("latin1"))), "opaques"),
    "bytearray of a size": (_pickle(_call(_global("builtins", "bytearray"), _int(2**40))), "opaques"),
    "an integer of 800,000 bits": (_pickle(_int(1 << 800_000)), "int32"),
    "a list nested 200,000 deep": (_pickle(b"]" * 200_000 + b"a" * 199_999), "tree"),
}


def outcome_of(data: bytes, type_name: str) -> str:
    """What decoding ``data`` as ``TYPES[type_name]`` gives: "DecodeError", or the surprise."""
    try:
        value = make("pickle", allow_untrusted=True).decode(data, TYPES[type_name])
    except DecodeError as err:
        if not (isinstance(err.offset, int) and 0 <= err.offset <= len(data)):
            return f"DecodeError with offset {err.offset!r}"
        return "DecodeError"
    except BaseException as err:  # noqa: BLE001 - the test reports whatever escaped
        return f"{type(err).__name__}: {err}"
    return f"decoded {type(value).__name__}"


_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from test_rpc_pickle import MALICIOUS, outcome_of
for name, (data, type_name) in MALICIOUS.items():
    print(json.dumps([name, outcome_of(data, type_name)]), flush=True)
"""


def test_crafted_pickles_raise_decode_error_in_a_child_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(HERE)], capture_output=True, text=True, timeout=300, check=False
    )
    outcomes = dict(json.loads(line) for line in proc.stdout.splitlines())
    unfinished = [name for name in MALICIOUS if name not in outcomes][:1]
    assert proc.returncode == 0, f"the child exited with {proc.returncode} decoding {unfinished}:\n{proc.stderr[-3000:]}"
    assert outcomes == {name: "DecodeError" for name in MALICIOUS}


def test_refuses_without_allow_untrusted() -> None:
    data = make("pickle").encode(GOOD, ORDER)
    with pytest.raises(DecodeError, match="allow_untrusted"):
        make("pickle").decode(data, ORDER)
    assert make("pickle", allow_untrusted=True).decode(data, ORDER) == GOOD


def test_loads_only_the_types_classes() -> None:
    @dataclasses.dataclass
    class Evil:
        x: int

    with pytest.raises(DecodeError, match="not a class of this type"):
        make("pickle", allow_untrusted=True).decode(pickle.dumps(print), INT32)


@dataclasses.dataclass
class Sample:
    """A struct class of the round trips below."""

    ints: Any
    floats: Any
    one: Any
    blob: Any
    name: Any


SAMPLE = Struct(
    "sample",
    (("ints", Array(INT64)), ("floats", Array(FLOAT64)), ("one", INT32), ("blob", Opaque()), ("name", String())),
    cls=Sample,
)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
@pytest.mark.parametrize(
    "value",
    [
        Sample(np.arange(5, dtype=">i8"), np.array([1, 2], np.int8), np.int32(7), b"a\xff", "x"),
        Sample([1, 2], np.array([0.5, np.nan], "<f4"), 3, bytearray(b"\0\1"), "é"),
        Sample(np.zeros(0, np.int64), np.float64(2.5) * np.ones(3), np.array(9, np.uint8), b"", ""),
    ],
)
def test_round_trip_keeps_numpy_values(protocol: int, value: Sample) -> None:
    serializer = make("pickle", allow_untrusted=True, protocol=protocol)
    back = serializer.decode(serializer.encode(value, SAMPLE), SAMPLE)
    assert equal(back, value, SAMPLE)
    for name in ("ints", "floats", "one", "blob", "name"):
        a, b = getattr(back, name), getattr(value, name)
        assert type(a) is type(b) and getattr(a, "dtype", None) == getattr(b, "dtype", None)
    if isinstance(back.ints, np.ndarray):
        assert back.ints.flags.writeable and back.ints.flags.owndata


def test_numpy_dtypes_it_cannot_rebuild_are_refused_when_encoding() -> None:
    with pytest.raises(EncodeError, match="dtype object"):
        make("pickle").encode(np.array(["a", "b"], dtype=object), Array(String()))


def test_memo_index_bomb_is_refused_fast() -> None:
    import time

    from distlab.rpc import BOOL, DecodeError

    s = make("pickle", allow_untrusted=True)
    for data in (
        b"\x80\x05Nr\xff\xff\xff\x0f.",  # LONG_BINPUT 2**28: a memo of gigabytes
        b"\x80\x05\x96\xff\xff\xff\xff\x00\x00\x00\x00",  # BYTEARRAY8 of 4 GiB, no bytes
        b"\x80\x05]\x94(h\x00h\x00e.",  # a list holding itself through the memo
    ):
        start = time.perf_counter()
        with pytest.raises(DecodeError):
            s.decode(data, BOOL)
        assert time.perf_counter() - start < 0.5


def test_no_pickle_trick_shares_a_container() -> None:
    """Sharing makes the type check's walk grow with the number of paths, not the bytes: refused however it is built."""
    import pickle
    import pickletools

    from distlab.rpc import DecodeError
    from distlab_serializers.pickle_format import _prescan

    dup = b"\x80\x04]q\x00" + b"2" + b"a."  # PROTO 4, EMPTY_LIST, BINPUT 0, DUP, APPEND, STOP
    marked = b"\x80\x04](]q\x001q\x01h\x01h\x01l."  # a list memoized after POP_MARK, then fetched twice
    for data in (dup, marked):
        with pytest.raises(DecodeError):
            _prescan(data)
    # A shared atom (the same string twice) is still fine: Python's pickler writes that.
    s = "shared"
    _prescan(pickle.dumps([s, s], protocol=4))
    assert any(op.name in ("BINGET", "GET", "LONG_BINGET") for op, _, _ in pickletools.genops(pickle.dumps([s, s], protocol=4)))
