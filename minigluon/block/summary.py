"""``Block.summary``: a table of each layer's output shape and parameter count.

Follows MXNet 1.9.1's ``Block.summary`` text exactly (docs/MXNET_SPEC.md section 6), with three fixes:
hooks that fire during symbolic shape inference (deferred initialization) add no bogus
``<Symbol ...>`` row, the user's own hooks stay in place, and the totals are computed from the
rows, each shared Parameter being counted as shared after its first row.
"""
from minigluon._nest import flatten, regroup
from minigluon.base import ValueAssertionError
from minigluon.ndarray import NDArray


def shape_str(args):
    """Nested shapes of ``args`` as text; a top-level list is shown without its brackets."""
    flat, fmts = flatten(args)
    shapes = regroup([x.shape if isinstance(x, NDArray) else x for x in flat], fmts)
    return str(shapes)[1:-1] if isinstance(shapes, list) else str(shapes)


def _is_symbolic(outputs):
    flat, _ = flatten(outputs)
    return any(hasattr(x, 'list_outputs') and not isinstance(x, NDArray) for x in flat)


def summary(block, *inputs):
    """Print the summary table of ``block`` run on ``inputs`` (see :meth:`Block.summary`).

    Raises
    ------
    ValueError
        When a block in the tree is hybridized (summary needs the eager path to see each layer);
        also an ``AssertionError``, which MXNet 1.9.1 raises here
        (:class:`~minigluon.base.ValueAssertionError`).
    """
    from minigluon.block.hybrid import HybridBlock
    from minigluon.block.sequential import HybridSequential, Sequential

    rows = [('Input', shape_str(inputs), 0, 0, 0)]
    seen = set()
    handles = []

    def hook(blk, _inputs, outputs):
        if _is_symbolic(outputs):      # shape-inference trace, not a real layer output
            return
        n_params = trainable = shared = 0
        for p in blk.params.values():
            size = p.data().size
            n_params += size
            trainable += 0 if p.grad_req == 'null' else size
            if p in seen:
                shared += size
            else:
                seen.add(p)
        rows.append(('%s-%i' % (type(blk).__name__, len(rows)), shape_str(outputs), n_params,
                     trainable, shared))

    def register(blk):
        if isinstance(blk, HybridBlock) and blk._active:
            raise ValueAssertionError('"{}" must not be hybridized to print summary; call '
                                      'net.hybridize(active=False) on the network first.'.format(blk.name))
        if not isinstance(blk, (Sequential, HybridSequential)):
            handles.append(blk.register_forward_hook(hook))

    try:
        block.apply(register)
        block(*inputs)
        line_format = '{:>20}  {:>42} {:>15}'
        lines = ['-' * 80, line_format.format('Layer (type)', 'Output Shape', 'Param #'), '=' * 80]
        for name, shape, n_params, _, _ in rows:
            lines.append(line_format.format(name, shape, n_params))
        total = sum(r[2] for r in rows)
        trainable = sum(r[3] for r in rows)
        shared = sum(r[4] for r in rows)
        lines += ['=' * 80,
                  'Parameters in forward computation graph, duplicate included',
                  '   Total params: ' + str(total),
                  '   Trainable params: ' + str(trainable),
                  '   Non-trainable params: ' + str(total - trainable),
                  'Shared params in forward computation graph: ' + str(shared),
                  'Unique parameters in model: ' + str(total - shared),
                  '-' * 80]
        print('\n'.join(lines))
    finally:
        for h in handles:
            h.detach()
