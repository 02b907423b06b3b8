"""The rpc study's world: the wire type model, the serializer contract, and the marshaling engine.

Cheap to import: :mod:`distlab.rpc.types`, :mod:`distlab.rpc.kinds` and :mod:`distlab.rpc.study` do not
import numba; the kernels in :mod:`distlab.rpc.kernels` are imported by the serializers that use them.
"""
