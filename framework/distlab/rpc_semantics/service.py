"""The server side of ``semantics.x``: every procedure, as the server process runs it.

Each procedure decodes its lists, runs the function of :mod:`distlab.rpc_semantics.functions` on them
and answers the way its suffix says (``_VALUE``, ``_RESTORE``, ``_DELTA``, ``_REF``: see the ``.x``
file's top comment). The read-only optimization's detection is here too: the server keeps the list it
received (a shallow copy: elements are immutable bytes) and compares after the call, element by element
(by identity first: an element the function did not replace is the same object).

An index out of range (in the caller's list or, through a callback, in the owner's) is answered
GARBAGE_ARGS, as ``semantics.x`` says and the C peer does: the handlers raise
:class:`~distlab.oncrpc.server.GarbageArgs`.

Global references are read and written through :class:`RefAccess`: callbacks to the owner's
``SEMANTICS_CB_PROG`` (one call per element read or written) or files in a shared directory.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator, MutableSequence
from typing import Any

from distlab.oncrpc.client import Client
from distlab.oncrpc.errors import GarbageArgsError
from distlab.oncrpc.server import GarbageArgs
from distlab.rpc.kinds import Serializer
from distlab.rpc_semantics.functions import alias, append, lookup
from distlab.rpc_semantics.interface import interface

__all__ = ["DirectoryList", "RefAccess", "SemanticsService", "delta", "garbage_on_bad_index"]


def garbage_on_bad_index(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler``, answering GARBAGE_ARGS for an index out of range (``IndexError``), an unknown reference id
    (``KeyError``) or a callback the owner answered GARBAGE_ARGS (the caller's arguments were bad)."""

    @functools.wraps(handler)
    def checked(*args: Any) -> Any:
        try:
            return handler(*args)
        except (IndexError, KeyError, GarbageArgsError) as err:
            raise GarbageArgs(str(err)) from err

    return checked


def delta(before: list[bytes], after: MutableSequence[bytes], detect: int) -> Any:
    """The ``sem_delta`` of a list the call received as ``before`` and left as ``after``.

    Args:
        detect: ``DETECT_PARAMETER`` (every element if anything changed, else none) or
            ``DETECT_CHUNK`` (only the elements that differ, and those past the old length).
    """
    api = interface()
    changed = [i for i in range(len(after))
               if i >= len(before) or (after[i] is not before[i] and after[i] != before[i])]
    if detect == api.DETECT_PARAMETER:
        if not changed and len(after) == len(before):
            return api.SemDelta(len(after), [])
        changed = list(range(len(after)))
    return api.SemDelta(len(after), [api.SemChunk(i, after[i]) for i in changed])


class DirectoryList(MutableSequence[bytes]):
    """A list kept in a directory both sides reach: one file per element, ``<path>/<index:08d>``.

    The global reference of ``REF_DIRECTORY``: whoever holds the path reads and writes the same object.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def _file(self, index: int) -> str:
        return os.path.join(self.path, f"{index:08d}")

    def __len__(self) -> int:
        return sum(1 for name in os.listdir(self.path) if len(name) == 8 and name.isdigit())

    def _index(self, index: int) -> int:
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(f"index {index} out of range for a list of {n} elements in {self.path}")
        return i

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        with open(self._file(self._index(index)), "rb") as f:
            return f.read()

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            raise TypeError("a DirectoryList does not take slice assignment")
        _write(self._file(self._index(index)), value)

    def __delitem__(self, index: Any) -> None:
        raise TypeError("a DirectoryList only grows: elements are not deleted")

    def insert(self, index: int, value: bytes) -> None:
        """Append ``value`` (only insertion at the end is supported, which is all the functions do)."""
        n = len(self)
        if index < n:
            raise TypeError("a DirectoryList only grows at the end")
        _write(self._file(n), value)

    def __iter__(self) -> Iterator[bytes]:
        # The length once (a directory listing), then one file each: not a listing per element.
        for i in range(len(self)):
            with open(self._file(i), "rb") as f:
                yield f.read()

    def extend(self, values: Iterable[bytes]) -> None:
        """Append every element (the length read once, not once per element)."""
        n = len(self)
        for i, value in enumerate(values):
            _write(self._file(n + i), value)


def _write(path: str, value: bytes) -> None:
    # Write then rename, so the other side never reads half an element.
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(value)
    os.replace(tmp, path)


class _CallbackList(MutableSequence[bytes]):
    """A list owned by another process, reached through its callback program (one call per access)."""

    def __init__(self, access: RefAccess, client: Client, ref_id: int) -> None:
        self._access, self._client, self._id = access, client, ref_id

    def _cb(self, procedure: int, arg: Any) -> Any:
        self._access.callbacks += 1
        return self._client.call(interface().SEMANTICS_CB_V1_PROGRAM, procedure, arg)

    def __len__(self) -> int:
        return int(self._cb(interface().CB_LENGTH, self._id))

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            raise TypeError("a remote list is read element by element")
        return self._cb(interface().CB_READ, interface().SemAt(self._id, index))

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            raise TypeError("a remote list is written element by element")
        self._cb(interface().CB_WRITE, interface().SemPut(self._id, index, value))

    def __delitem__(self, index: Any) -> None:
        raise TypeError("the callback program has no delete")

    def insert(self, index: int, value: bytes) -> None:
        """Append ``value`` (CB_APPEND: the callback program appends only)."""
        self._cb(interface().CB_APPEND, interface().SemPut(self._id, 0, value))

    def append(self, value: bytes) -> None:
        """One CB_APPEND (MutableSequence's own append would ask the length first: a second callback)."""
        self.insert(0, value)

    def extend(self, values: Any) -> None:
        """One CB_APPEND per element."""
        for value in values:
            self.insert(0, value)


class RefAccess:
    """Turns ``sem_ref`` handles into lists the functions can use; counts the callbacks made.

    Args:
        serializer: the wire format of the callbacks (the case's).
        connect: makes the client of a callback address (a metered client in the study's server).
    """

    def __init__(self, serializer: Serializer | None = None,
                 connect: Callable[[str, int], Client] | None = None) -> None:
        self.serializer = serializer
        self._connect = connect or (lambda host, port: Client(host, port, serializer=serializer))
        self._clients: dict[tuple[str, int], Client] = {}
        self.callbacks = 0

    def open(self, ref: Any) -> MutableSequence[bytes]:
        """The list a ``sem_ref`` value (a ``(kind, arm)`` pair) names."""
        api = interface()
        kind, arm = ref
        if kind == api.REF_DIRECTORY:
            return DirectoryList(arm)
        key = (arm.host, arm.port)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._connect(*key)
        return _CallbackList(self, client, arm.id)

    def close(self) -> None:
        """Close the callback connections."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()


class SemanticsService:
    """The procedures of ``SEMANTICS_PROG`` version 1 (see :meth:`handlers`)."""

    def __init__(self, refs: RefAccess) -> None:
        self.refs = refs

    def handlers(self) -> dict[int, Callable[..., Any]]:
        """The procedures by number, for :meth:`distlab.oncrpc.server.Server.add`."""
        api = interface()
        procedures = {
            api.APPEND_VALUE: self.append_value, api.APPEND_RESTORE: self.append_restore,
            api.APPEND_DELTA: self.append_delta, api.APPEND_REF: self.append_ref,
            api.LOOKUP_VALUE: self.lookup_value, api.LOOKUP_RESTORE: self.lookup_restore,
            api.LOOKUP_DELTA: self.lookup_delta, api.LOOKUP_REF: self.lookup_ref,
            api.ALIAS_VALUE: self.alias_value, api.ALIAS_RESTORE: self.alias_restore,
            api.ALIAS_DELTA: self.alias_delta, api.ALIAS_REF: self.alias_ref,
        }
        return {number: garbage_on_bad_index(handler) for number, handler in procedures.items()}

    # append ----------------------------------------------------------------------------------
    def append_value(self, a: Any) -> list[bytes]:
        """APPEND_VALUE: the final db, as a new list."""
        return list(append(a.data, list(a.db), a.touch))

    def append_restore(self, a: Any) -> list[bytes]:
        """APPEND_RESTORE: the final db, for the caller to copy back."""
        return list(append(a.data, list(a.db), a.touch))

    def append_delta(self, a: Any) -> Any:
        """APPEND_DELTA: the changes to db."""
        before = list(a.db)
        after = append(a.data, list(before), a.touch)
        return delta(before, after, a.detect)

    def append_ref(self, a: Any) -> None:
        """APPEND_REF: db is changed where it lives."""
        append(a.data, self.refs.open(a.db), a.touch)

    # lookup ----------------------------------------------------------------------------------
    def lookup_value(self, a: Any) -> bytes:
        """LOOKUP_VALUE: the element read."""
        return lookup(a.key, a.put, list(a.db))

    def lookup_restore(self, a: Any) -> Any:
        """LOOKUP_RESTORE: the element read and the final db."""
        db = list(a.db)
        return interface().SemLookupRestore(lookup(a.key, a.put, db), db)

    def lookup_delta(self, a: Any) -> Any:
        """LOOKUP_DELTA: the element read and the changes to db."""
        before = list(a.db)
        after = list(before)
        return interface().SemLookupDelta(lookup(a.key, a.put, after), delta(before, after, a.detect))

    def lookup_ref(self, a: Any) -> bytes:
        """LOOKUP_REF: the element read where db lives."""
        return lookup(a.key, a.put, self.refs.open(a.db))

    # alias -----------------------------------------------------------------------------------
    def alias_value(self, a: Any) -> None:
        """ALIAS_VALUE: nothing comes back."""
        alias(list(a.a), list(a.b), a.mark_a, a.mark_b)

    def alias_restore(self, a: Any) -> Any:
        """ALIAS_RESTORE: the final a and b (two copies: the server cannot know they were one object)."""
        x, y = list(a.a), list(a.b)
        alias(x, y, a.mark_a, a.mark_b)
        return interface().SemAliasRestore(x, y)

    def alias_delta(self, a: Any) -> Any:
        """ALIAS_DELTA: the changes to a and to b."""
        x0, y0 = list(a.a), list(a.b)
        x, y = list(x0), list(y0)
        alias(x, y, a.mark_a, a.mark_b)
        return interface().SemAliasDelta(delta(x0, x, a.detect), delta(y0, y, a.detect))

    def alias_ref(self, a: Any) -> None:
        """ALIAS_REF: both handles are followed; if they name one object, it sees both marks."""
        alias(self.refs.open(a.a), self.refs.open(a.b), a.mark_a, a.mark_b)
