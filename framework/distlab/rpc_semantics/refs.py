"""The owner's side of global references: a table of handles and the callback server that serves it.

A global reference is a handle both sides can use: here ``(host, port, id)`` of the caller's callback
server (``SEMANTICS_CB_PROG``) or the path of a directory both sides reach. :class:`RefTable` hands out
one id per object (the same object twice gets the same id, so aliasing survives the trip) and answers
the server's callbacks on it, counting them and the bytes they take on the wire. The callback server
runs in the caller's process, so its bytes are metered here whatever the peer (distlab's server or the
C peer, whose own sockets distlab cannot count).
"""

from __future__ import annotations

import inspect
import itertools
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator, MutableSequence
from contextlib import contextmanager
from typing import Any

from distlab.oncrpc.server import Server
from distlab.rpc.kinds import Serializer
from distlab.rpc_semantics.interface import interface
from distlab.rpc_semantics.metered import wire_bytes
from distlab.rpc_semantics.service import DirectoryList, garbage_on_bad_index

__all__ = ["STORES", "RefTable"]

STORES = ("callback", "directory")
"""Where a global reference's object lives: with its owner, reached by callbacks (``REF_CALLBACK``), or in a
directory both sides reach (``REF_DIRECTORY``)."""


class RefTable:
    """The objects the caller lent out by reference, and the callbacks that reach them.

    Attributes:
        callbacks: callbacks answered so far (every one is a round trip over the link).
        bytes_in: bytes the callback server received (the callbacks' calls), ``bytes_out``: bytes it
            sent (their replies); record marks included, as :class:`~distlab.rpc_semantics.metered.MeteredClient`
            counts them.
        address: ``(host, port)`` the server should call back (set by :meth:`serve`; the engine may
            point it at a shaped link in front of the callback server).
    """

    def __init__(self) -> None:
        self._objects: dict[int, MutableSequence[bytes]] = {}
        self._ids: dict[int, int] = {}
        self._dirs: dict[int, tuple[MutableSequence[bytes], str]] = {}
        self._root: str | None = None
        self._next = itertools.count(1)
        self.callbacks = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.address: tuple[str, int] = ("127.0.0.1", 0)

    def handle(self, obj: MutableSequence[bytes], store: str = "callback") -> Any:
        """The ``sem_ref`` of ``obj``; the same object twice gets the same handle (aliasing survives the trip).

        Args:
            store: ``"callback"``: ``REF_CALLBACK``, an id the callback server resolves (one callback per
                element the server reads or writes). ``"directory"``: ``REF_DIRECTORY``, the object moved
                into a directory both sides reach (one file per element, :class:`DirectoryList`) where the
                server reads and writes it with no call back; :meth:`release` brings the caller's object up to
                date from it, as the owner reading its own object after the call. The caller's object lives in
                its memory between calls, so every call also pays for moving it into the directory and back
                (in the call's time). The directory is on this machine (``/dev/shm`` where there is one),
                shared by both processes: its reads and writes cross no link and are not in the bytes on the
                wire (on a network file system they would be).
        """
        api = interface()
        if store == "directory":
            return (api.REF_DIRECTORY, self._directory(obj))
        if store != "callback":
            raise ValueError(f"store={store!r}: a global reference's store is one of {', '.join(STORES)}")
        ref_id = self._ids.get(id(obj))
        if ref_id is None:
            ref_id = self._ids[id(obj)] = next(self._next)
            self._objects[ref_id] = obj
        return (api.REF_CALLBACK, api.SemCallbackRef(self.address[0], self.address[1], ref_id))

    def _directory(self, obj: MutableSequence[bytes]) -> str:
        found = self._dirs.get(id(obj))
        if found is not None:
            return found[1]
        if self._root is None:
            # A RAM-backed directory where the machine has one (both processes reach it; no disk in the timings).
            shm = "/dev/shm"
            self._root = tempfile.mkdtemp(prefix="distlab-refs-",
                                          dir=shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None)
        path = tempfile.mkdtemp(dir=self._root)
        # Plain writes, no write-then-rename: nobody else knows the directory before the handle is sent.
        for i, value in enumerate(obj):
            with open(os.path.join(path, f"{i:08d}"), "wb") as f:
                f.write(value)
        self._dirs[id(obj)] = (obj, path)
        return path

    def release(self) -> None:
        """Forget every object (the handles given out no longer resolve); an object lent through a directory
        is first read back from it into the caller's object, and the directory removed."""
        self._objects.clear()
        self._ids.clear()
        dirs, self._dirs = self._dirs, {}
        for obj, path in dirs.values():
            try:
                obj[:] = list(DirectoryList(path))
            finally:
                shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        """Release every object and remove the directories' root."""
        try:
            self.release()
        finally:
            if self._root is not None:
                shutil.rmtree(self._root, ignore_errors=True)
                self._root = None

    def _obj(self, ref_id: int) -> MutableSequence[bytes]:
        self.callbacks += 1
        return self._objects[ref_id]

    def handlers(self) -> dict[int, Callable[..., Any]]:
        """The callback procedures by number (an index out of range or an unknown id: GARBAGE_ARGS)."""
        api = interface()
        procedures: dict[int, Callable[..., Any]] = {
            api.CB_LENGTH: lambda ref_id: len(self._obj(ref_id)),
            api.CB_READ: lambda at: self._obj(at.id)[at.index],
            api.CB_WRITE: lambda put: self._obj(put.id).__setitem__(put.index, put.value),
            api.CB_APPEND: lambda put: self._obj(put.id).append(put.value),
        }
        # An index out of range or an id not lent out: GARBAGE_ARGS, as semantics.x says of callbacks.
        return {number: garbage_on_bad_index(handler) for number, handler in procedures.items()}

    @contextmanager
    def serve(self, serializer: Serializer | None = None) -> Iterator[Server]:
        """Run the callback server (TCP, a free port on 127.0.0.1) in a thread while the block runs (then :meth:`close`)."""
        server = _MeteredServer(self, transports=("tcp",), serializer=serializer)
        server.add(interface().SEMANTICS_CB_V1_PROGRAM, self.handlers())
        try:
            with server.serve_in_thread():
                self.address = ("127.0.0.1", server.port)
                yield server
        finally:
            self.close()


class _MeteredServer(Server):
    """A TCP server that adds the bytes of every call it receives and every reply it sends to a :class:`RefTable`."""

    def __init__(self, table: RefTable, **options: Any) -> None:
        super().__init__(**options)
        self._table = table

    def dispatch(self, data: bytes, peer: Any = None) -> bytes | None | Awaitable[bytes | None]:
        """:meth:`Server.dispatch`, counted (``data`` is one record: its bytes and record marks)."""
        self._table.bytes_in += wire_bytes(len(data))
        reply = super().dispatch(data, peer)
        if inspect.isawaitable(reply):
            return self._count_later(reply)
        if reply is not None:
            self._table.bytes_out += wire_bytes(len(reply))
        return reply

    async def _count_later(self, pending: Awaitable[bytes | None]) -> bytes | None:
        reply = await pending
        if reply is not None:
            self._table.bytes_out += wire_bytes(len(reply))
        return reply
