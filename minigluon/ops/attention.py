"""Multi-head attention products over interleaved projections (MXNet 1.9.1
``src/operator/contrib/transformer.cc``; GluonNLP's Transformer and BERT call them).

A self-attention layer projects its input (sequence length ``L``, batch ``B``) once into
``queries_keys_values`` of shape ``(L, B, 3 * heads * D)``, whose last axis holds, for each head
in turn, that head's query, key and value (``D`` numbers each): viewed as ``(L, B, heads, 3, D)``.
An encoder-decoder layer has ``queries`` ``(Lq, B, heads * D)`` (heads in turn) and
``keys_values`` ``(Lk, B, 2 * heads * D)`` (each head's key, then its value). Attention scores
and weights are ``(B * heads, Lq, Lk)``, batch-major (row ``b * heads + h``).

* ``_contrib_interleaved_matmul_selfatt_qk(queries_keys_values, heads)``:
  ``q @ k^T / sqrt(D)`` per batch and head, ``(B * heads, L, L)``;
* ``_contrib_interleaved_matmul_selfatt_valatt(queries_keys_values, attention, heads)``:
  ``attention @ v``, laid out ``(L, B, heads * D)``;
* ``_contrib_interleaved_matmul_encdec_qk(queries, keys_values, heads)``: ``(B * heads, Lq, Lk)``;
* ``_contrib_interleaved_matmul_encdec_valatt(keys_values, attention, heads)``:
  ``(Lq, B, heads * D)``.

They appear as ``nd.contrib.<name>`` / ``sym.contrib.<name>``. MXNet 1.9.1's CPU kernels take
float32 only ("Only FP32 is supported on CPU"); here every floating dtype works (the result has
the input's dtype). Inputs whose sizes do not fit ``heads`` raise a ValueError naming them.
"""
import numpy as np

from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


def _split_heads(x, heads):
    """``(L, B, heads * D)`` -> ``(B * heads, L, D)``."""
    length, batch, width = x.shape
    d = width // heads
    return x.reshape(length, batch, heads, d).transpose(1, 2, 0, 3).reshape(batch * heads, length, d)


def _merge_heads(x, batch, heads):
    """``(B * heads, L, D)`` -> ``(L, B, heads * D)``: the inverse of :func:`_split_heads`."""
    bh, length, d = x.shape
    return x.reshape(batch, heads, length, d).transpose(2, 0, 1, 3).reshape(length, batch, heads * d)


def _part(packed, heads, parts, i):
    """Part ``i`` (query, key or value) of the interleaved ``(L, B, heads * parts * D)`` array,
    as ``(B * heads, L, D)``."""
    length, batch, width = packed.shape
    d = width // (heads * parts)
    one = packed.reshape(length, batch, heads, parts, d)[:, :, :, i, :]
    return one.transpose(1, 2, 0, 3).reshape(batch * heads, length, d)


def _unpart(xp, grads, shape, heads, parts):
    """The gradient of the packed array from the gradients of its parts (``{i: (B*heads, L, D)}``);
    parts without one get zeros."""
    length, batch, width = shape
    d = width // (heads * parts)
    out = xp.zeros((length, batch, heads, parts, d), dtype=next(iter(grads.values())).dtype)
    for i, g in grads.items():
        out[:, :, :, i, :] = g.reshape(batch, heads, length, d).transpose(2, 0, 1, 3)
    return out.reshape(shape)


def _batched_t(x):
    return x.transpose(0, 2, 1)


class _Interleaved(Op):
    """Shared checks of the four operators."""

    attrs = {'heads': Attr('int')}
    dtype_from_inputs = (0, 1)       # the two-input ones multiply their inputs (matmul)

    def check_attrs(self):
        if self.heads < 1:
            raise ValueError('%s: heads must be a positive integer, got %d' % (self.name, self.heads))

    def _check_packed(self, arr, parts, arg, *arrays):
        require_float(self, arr, arg)
        if arr.ndim != 3 or arr.shape[2] % (self.heads * parts) or arr.shape[2] == 0:
            raise shape_error(self, '%s must be (length, batch, %d * heads * head_dim) with heads=%d'
                              % (arg, parts, self.heads), *arrays)
        return arr.shape[2] // (self.heads * parts)

    def _check_attention(self, att, batch, rows, cols, *arrays):
        require_float(self, att, 'attention')
        if att.shape != (batch * self.heads, rows, cols):
            raise shape_error(self, 'attention must be (batch * heads, %d, %d) = %s'
                              % (rows, cols, (batch * self.heads, rows, cols)), *arrays)


class _ValueProduct(_Interleaved):
    """``attention @ v`` with ``v`` part ``value`` of the ``parts``-way interleaved first input,
    and its gradient: the two ``..._valatt`` operators (their forwards check the shapes)."""

    parts = value = None

    def _product(self, xp, packed, att):
        self.packed, self.att = packed, att
        v = _part(packed, self.heads, self.parts, self.value)
        return _merge_heads(xp.matmul(att, v), packed.shape[1], self.heads)

    def backward(self, xp, grad):
        packed, att, heads = self.packed, self.att, self.heads
        g = _split_heads(grad, heads)
        v = _part(packed, heads, self.parts, self.value)
        d_packed = _unpart(xp, {self.value: xp.matmul(_batched_t(att), g)}, packed.shape, heads,
                           self.parts)
        return d_packed, xp.matmul(g, _batched_t(v))


@register
class InterleavedSelfAttQK(_Interleaved):
    """Self-attention scores ``q @ k^T / sqrt(head_dim)`` from interleaved projections; see the
    module docstring. ``queries_keys_values``: ``(L, B, 3 * heads * D)``; output
    ``(B * heads, L, L)``, same dtype."""

    name = '_contrib_interleaved_matmul_selfatt_qk'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('queries_keys_values',)

    def forward(self, xp, qkv):
        d = self._check_packed(qkv, 3, 'queries_keys_values', qkv)
        self.qkv = qkv
        self.scale = qkv.dtype.type(1.0 / np.sqrt(d))
        q, k = _part(qkv, self.heads, 3, 0), _part(qkv, self.heads, 3, 1)
        return xp.matmul(q, _batched_t(k)) * self.scale

    def backward(self, xp, grad):
        qkv, heads = self.qkv, self.heads
        g = grad * self.scale
        q, k = _part(qkv, heads, 3, 0), _part(qkv, heads, 3, 1)
        return (_unpart(xp, {0: xp.matmul(g, k), 1: xp.matmul(_batched_t(g), q)}, qkv.shape, heads, 3),)


@register
class InterleavedSelfAttValAtt(_ValueProduct):
    """Self-attention output ``attention @ v`` from interleaved projections; see the module
    docstring. ``queries_keys_values``: ``(L, B, 3 * heads * D)``; ``attention``:
    ``(B * heads, L, L)``; output ``(L, B, heads * D)``."""

    name = '_contrib_interleaved_matmul_selfatt_valatt'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('queries_keys_values', 'attention')

    parts, value = 3, 2

    def forward(self, xp, qkv, att):
        self._check_packed(qkv, 3, 'queries_keys_values', qkv, att)
        length, batch = qkv.shape[:2]
        self._check_attention(att, batch, length, length, qkv, att)
        return self._product(xp, qkv, att)


@register
class InterleavedEncDecQK(_Interleaved):
    """Encoder-decoder attention scores ``q @ k^T / sqrt(head_dim)``; see the module docstring.
    ``queries``: ``(Lq, B, heads * D)``; ``keys_values``: ``(Lk, B, 2 * heads * D)``; output
    ``(B * heads, Lq, Lk)``."""

    name = '_contrib_interleaved_matmul_encdec_qk'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('queries', 'keys_values')

    def forward(self, xp, queries, kv):
        d = self._check_packed(queries, 1, 'queries', queries, kv)
        dk = self._check_packed(kv, 2, 'keys_values', queries, kv)
        if dk != d or kv.shape[1] != queries.shape[1]:
            raise shape_error(self, 'queries and keys_values must have the same batch size and '
                              'head_dim', queries, kv)
        self.queries, self.kv = queries, kv
        self.scale = queries.dtype.type(1.0 / np.sqrt(d))
        q, k = _split_heads(queries, self.heads), _part(kv, self.heads, 2, 0)
        return xp.matmul(q, _batched_t(k)) * self.scale

    def backward(self, xp, grad):
        queries, kv, heads = self.queries, self.kv, self.heads
        g = grad * self.scale
        q, k = _split_heads(queries, heads), _part(kv, heads, 2, 0)
        d_q = _merge_heads(xp.matmul(g, k), queries.shape[1], heads)
        d_kv = _unpart(xp, {0: xp.matmul(_batched_t(g), q)}, kv.shape, heads, 2)
        return d_q, d_kv


@register
class InterleavedEncDecValAtt(_ValueProduct):
    """Encoder-decoder attention output ``attention @ v``; see the module docstring.
    ``keys_values``: ``(Lk, B, 2 * heads * D)``; ``attention``: ``(B * heads, Lq, Lk)``; output
    ``(Lq, B, heads * D)``."""

    name = '_contrib_interleaved_matmul_encdec_valatt'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('keys_values', 'attention')
    parts, value = 2, 1

    def forward(self, xp, kv, att):
        self._check_packed(kv, 2, 'keys_values', kv, att)
        length, batch = kv.shape[:2]
        if att.ndim != 3:
            raise shape_error(self, 'attention must be (batch * heads, query_length, %d)' % length,
                              kv, att)
        self._check_attention(att, batch, att.shape[1], length, kv, att)
        return self._product(xp, kv, att)
