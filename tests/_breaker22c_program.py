"""Programs run on minigluon by tests/test_breaker22c_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker22c_fixtures.py (``mx`` is either package): ``gluon.rnn`` cells, modifier
cells and fused layers in corners the RNN fuzzer (tools/fuzz_rnn.py) does not draw: cell
activations, prefixes and parameter names, modifier cells in training mode at the rates that
make them deterministic (0 and 1), ``reset()`` between steps, state clipping, sequence lengths
of the fused layers, float16 layers, exported layers imported back, and what the calls return.

Every parameter is set from its position in ``collect_params()`` (:func:`fill`), so both
frameworks run the same weights. Each case gives an outcome in the form of tests/_outcome.py
(:func:`_outcome.outcome`), shared with the other breaker programs.
"""
import os

import numpy as np

from _outcome import describe, outcome


def fill(mx, block):
    """Every parameter of ``block`` set to a fixed function of its position and shape."""
    for i, (_, p) in enumerate(sorted(block.collect_params().items())):
        n = int(np.prod(p.shape))
        v = (np.sin(np.arange(n) * 0.37 + i) * 0.4).reshape(p.shape)
        p.set_data(mx.nd.array(v, dtype=p.dtype))


def data(mx, shape, dtype='float32', seed=0):
    n = int(np.prod(shape))
    return mx.nd.array((np.cos(np.arange(n) * 0.91 + seed) * 0.8).reshape(shape), dtype=dtype)


def _ready(mx, block, x_shape, dtype='float32', call=None):
    block.initialize()
    if dtype != 'float32':
        block.cast(dtype)
    x = data(mx, x_shape, dtype)
    (call or block)(x) if call is None else call(block, x)
    fill(mx, block)
    return x


def names(block):
    return sorted((k, list(p.shape)) for k, p in block.collect_params().items())


# MXNet's Dropout at rate 1 gives NaN masks in training (0 * inf), which its ZoneoutCell reads as
# true: those cells run only outside training here
RATE_ONE = ('zone11', 'zone10', 'zone01', 'drop1')


# -- cells ----------------------------------------------------------------------------------------

def cell_cases(mx):
    rnn, nd = mx.gluon.rnn, mx.nd
    out = {}

    def unroll_case(make, T=3, N=2, C=3, layout='NTC', merge=True, vl=None, states=False,
                    listin=False, hybrid=False, dtype='float32', grad=False, train=False):
        def go():
            with mx.name.NameManager():
                cell = make()
            cell.initialize()
            if dtype != 'float32':
                cell.cast(dtype)
            shape = (N, T, C) if layout == 'NTC' else (T, N, C)
            x = data(mx, shape, dtype)
            cell.unroll(T, x, layout=layout, merge_outputs=True)
            fill(mx, cell)
            if hybrid:
                cell.hybridize()
            inputs = x
            if listin:
                axis = layout.find('T')
                inputs = [s for s in nd.split(x, T, axis=axis, squeeze_axis=True)] if T > 1 \
                    else [x.reshape(shape[:axis] + shape[axis + 1:])]
            bs = None
            if states:
                bs = [data(mx, s['shape'], dtype, seed=k + 1)
                      for k, s in enumerate(cell.state_info(N))]
            v = None if vl is None else nd.array(vl, dtype=dtype)
            if grad:
                x.attach_grad()
                with mx.autograd.record(train_mode=train):
                    o, st = cell.unroll(T, x, begin_state=bs, layout=layout, merge_outputs=merge,
                                        valid_length=v)
                    os_ = o if isinstance(o, list) else [o]
                    loss = sum((a * a).sum() for a in os_ + list(st))
                loss.backward()
                pg = [p.grad() for _, p in sorted(cell.collect_params().items())]
                return o, st, x.grad, pg
            if train:
                with mx.autograd.train_mode():
                    return cell.unroll(T, inputs, begin_state=bs, layout=layout,
                                       merge_outputs=merge, valid_length=v)
            return cell.unroll(T, inputs, begin_state=bs, layout=layout, merge_outputs=merge,
                               valid_length=v)
        return outcome(go)

    for act in ['tanh', 'relu', 'sigmoid', 'softrelu', 'softsign']:
        out['rnn_act_%s' % act] = unroll_case(lambda: rnn.RNNCell(4, activation=act))
        out['rnn_act_%s_hyb' % act] = unroll_case(lambda: rnn.RNNCell(4, activation=act),
                                                  hybrid=True)
    out['rnn_act_leaky'] = unroll_case(
        lambda: rnn.RNNCell(4, activation=mx.gluon.nn.LeakyReLU(0.1)))
    out['lstm_acts'] = unroll_case(
        lambda: rnn.LSTMCell(4, activation='relu', recurrent_activation='tanh'))
    out['gru_acts'] = unroll_case(
        lambda: rnn.GRUCell(4, activation='relu', recurrent_activation='tanh'))
    for cls in ['RNNCell', 'LSTMCell', 'GRUCell']:
        mk = lambda cls=cls: getattr(rnn, cls)(4, input_size=3)
        for layout in ['NTC', 'TNC']:
            for merge in [True, False, None]:
                for vl in [None, [2, 3], [3, 3]]:
                    for listin in [False, True][:1 if vl == [3, 3] else 2]:
                        key = '%s_%s_%s_%s_%s' % (cls, layout, merge, vl, listin)
                        out[key] = unroll_case(mk, layout=layout, merge=merge, vl=vl,
                                               listin=listin)
        out[cls + '_states'] = unroll_case(mk, states=True, vl=[1, 3])
        out[cls + '_hyb_vl'] = unroll_case(mk, hybrid=True, vl=[2, 1])
        out[cls + '_f64'] = unroll_case(mk, dtype='float64', vl=[2, 3], states=True)
        out[cls + '_grad'] = unroll_case(mk, grad=True, vl=[2, 3])
        out[cls + '_grad_nomerge'] = unroll_case(mk, grad=True, merge=False)
        out[cls + '_T1'] = unroll_case(mk, T=1, merge=None, listin=True)
    # modifier and container cells
    def seq():
        s = rnn.SequentialRNNCell()
        s.add(rnn.LSTMCell(4, input_size=3))
        s.add(rnn.GRUCell(5, input_size=4))
        return s

    def hseq():
        s = rnn.HybridSequentialRNNCell()
        s.add(rnn.RNNCell(4, input_size=3))
        s.add(rnn.ResidualCell(rnn.GRUCell(4, input_size=4)))
        return s

    def bi():
        return rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3), rnn.GRUCell(2, input_size=3))

    def res():
        return rnn.ResidualCell(rnn.RNNCell(3, input_size=3))

    def zone(o, s):
        return lambda: rnn.ZoneoutCell(rnn.LSTMCell(4, input_size=3), zoneout_outputs=o,
                                       zoneout_states=s)

    def drop(r):
        return lambda: rnn.DropoutCell(r)

    def seqdrop():
        s = rnn.SequentialRNNCell()
        s.add(rnn.RNNCell(3, input_size=3))
        s.add(rnn.DropoutCell(0.0))
        s.add(rnn.ResidualCell(rnn.RNNCell(3, input_size=3)))
        return s

    mods = {'seq': seq, 'hseq': hseq, 'bi': bi, 'res': res, 'zone00': zone(0.0, 0.0),
            'zone11': zone(1.0, 1.0), 'zone10': zone(1.0, 0.0), 'zone01': zone(0.0, 1.0),
            'drop0': drop(0.0), 'drop1': drop(1.0), 'seqdrop': seqdrop}
    for name, mk in mods.items():
        for layout in ['NTC', 'TNC']:
            for merge in [True, False, None]:
                for vl in [None, [2, 3], [1, 1]][:3 if merge is None else 2]:
                    key = 'mod_%s_%s_%s_%s' % (name, layout, merge, vl)
                    out[key] = unroll_case(mk, layout=layout, merge=merge, vl=vl)
                    if name not in RATE_ONE and merge is not False:
                        out[key + '_train'] = unroll_case(mk, layout=layout, merge=merge, vl=vl,
                                                          train=True)
        out['mod_%s_list' % name] = unroll_case(mk, listin=True, merge=None)
        out['mod_%s_states' % name] = unroll_case(mk, states=True)
        out['mod_%s_hyb' % name] = unroll_case(mk, hybrid=True, vl=[3, 2])
        out['mod_%s_grad' % name] = unroll_case(mk, grad=True, vl=[3, 2])
        if name not in RATE_ONE:
            out['mod_%s_grad_train' % name] = unroll_case(mk, grad=True, train=True)
    return out


def cell_api(mx):
    rnn, nd = mx.gluon.rnn, mx.nd
    out = {}

    def build(make):
        with mx.name.NameManager():
            return make()

    makers = {
        'rnn_prefix': lambda: rnn.RNNCell(4, prefix='foo_', input_size=3),
        'lstm_noprefix': lambda: rnn.LSTMCell(4, input_size=3),
        'gru_two': lambda: (rnn.GRUCell(4, input_size=3), rnn.GRUCell(4, input_size=3))[1],
        'seq': lambda: _seq(rnn),
        'bi': lambda: rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3),
                                            rnn.LSTMCell(4, input_size=3)),
        'bi_prefix': lambda: rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3, prefix='a_'),
                                                   rnn.LSTMCell(4, input_size=3, prefix='b_'),
                                                   output_prefix='zz_'),
        'zone': lambda: rnn.ZoneoutCell(rnn.GRUCell(4, input_size=3), 0.3, 0.2),
        'res': lambda: rnn.ResidualCell(rnn.GRUCell(3, input_size=3)),
        'drop': lambda: rnn.DropoutCell(0.5, axes=(0,)),
        'lstm_init': lambda: rnn.LSTMCell(4, input_size=3, i2h_weight_initializer='ones',
                                          h2h_bias_initializer=mx.init.Constant(0.5),
                                          i2h_bias_initializer='zeros'),
        'rnn_params': lambda: rnn.RNNCell(4, input_size=3,
                                          params=rnn.RNNCell(4, input_size=3, prefix='p_').params),
    }
    for name, make in makers.items():
        def info(make=make):
            cell = build(make)
            st = cell.state_info(2)
            bs = cell.begin_state(2)
            bs1 = cell.begin_state(2, func=nd.ones)
            bsk = cell.begin_state(batch_size=3, func=lambda shape, **kw: nd.full(shape, 2.0))
            return {'names': names(cell), 'prefix': cell.prefix, 'state_info': st,
                    'begin_state': bs, 'ones': bs1, 'full': bsk, 'repr': repr(cell),
                    }
        out['info_' + name] = outcome(info)

        def inited(make=make):
            cell = build(make)
            cell.initialize()
            return {k: p.data() for k, p in cell.collect_params().items()
                    if 'h2h_weight' not in k}
        if name in ('lstm_init',):
            out['init_' + name] = outcome(inited)

    # step by step with reset between
    def steps(make, hybrid):
        def go():
            cell = build(make)
            cell.initialize()
            x = data(mx, (2, 3, 3))
            cell.unroll(3, x)
            fill(mx, cell)
            if hybrid:
                cell.hybridize()
            res = []
            for rep in range(2):
                cell.reset()
                st = cell.begin_state(2)
                for t in range(3):
                    o, st = cell(x[:, t, :], st)
                    res.append(o)
                res.append(st)
            return res
        return go
    for name in ['lstm_noprefix', 'gru_two', 'seq', 'zone', 'res', 'rnn_prefix']:
        out['steps_' + name] = outcome(steps(makers[name], False))
        out['steps_hyb_' + name] = outcome(steps(makers[name], True))
    for name in ['bi']:
        out['steps_' + name] = outcome(steps(makers[name], False))

    # misuse
    def bad_unroll(**kw):
        def go():
            cell = build(lambda: rnn.LSTMCell(4, input_size=3))
            cell.initialize()
            return cell.unroll(kw.pop('length', 3), kw.pop('inputs', data(mx, (2, 3, 3))), **kw)
        return go
    out['bad_layout'] = outcome(bad_unroll(layout='TN'))
    out['bad_length'] = outcome(bad_unroll(length=4))
    out['bad_vl_shape'] = outcome(bad_unroll(valid_length=nd.array([1, 2, 3])))
    out['bad_states_n'] = outcome(bad_unroll(begin_state=[nd.zeros((2, 4))]))
    out['random_states'] = outcome(lambda: _random_states(mx))
    out['zone_bi'] = outcome(lambda: rnn.ZoneoutCell(
        rnn.BidirectionalCell(rnn.RNNCell(2), rnn.RNNCell(2)), 0.1))
    out['bi_call'] = outcome(lambda: _bi_call(mx))
    out['seq_call_hyb'] = outcome(lambda: _seq_hyb_call(mx))
    return out


def _random_states(mx):
    """``begin_state(func=nd.random.uniform, low=0.5, high=1)`` of cells and a layer (every
    cell passes ``__layout__`` to ``func``): shapes, dtypes and whether the values lie in the
    range; the same with ``sym.random.normal``."""
    rnn, nd = mx.gluon.rnn, mx.nd
    cells = [rnn.LSTMCell(3, input_size=2), rnn.GRU(3, 2, bidirectional=True),
             rnn.ZoneoutCell(rnn.GRUCell(3, input_size=2), 0.5),
             rnn.ResidualCell(rnn.RNNCell(2, input_size=2))]
    res = []
    for cell in cells:
        states = cell.begin_state(batch_size=2, func=nd.random.uniform, low=0.5, high=1.0)
        res.append([(list(a.shape), np.dtype(a.dtype).name,
                     bool(((a.asnumpy() >= 0.5) & (a.asnumpy() < 1)).all())) for a in states])
    states = cells[0].begin_state(2, func=mx.sym.random.normal)
    res.append([list(a.eval(ctx=mx.cpu())[0].shape) for a in states])
    return res


def _seq(rnn):
    s = rnn.SequentialRNNCell()
    s.add(rnn.LSTMCell(4, input_size=3))
    s.add(rnn.RNNCell(5, input_size=4))
    return s


def _bi_call(mx):
    rnn = mx.gluon.rnn
    with mx.name.NameManager():
        c = rnn.BidirectionalCell(rnn.RNNCell(2, input_size=3), rnn.RNNCell(2, input_size=3))
    c.initialize()
    return c(data(mx, (2, 3)), c.begin_state(2))


def _seq_hyb_call(mx):
    rnn = mx.gluon.rnn
    with mx.name.NameManager():
        s = rnn.HybridSequentialRNNCell()
        s.add(rnn.LSTMCell(3, input_size=3))
        s.add(rnn.GRUCell(3, input_size=3))
    s.initialize()
    x = data(mx, (2, 3))
    s(x, s.begin_state(2))
    fill(mx, s)
    s.hybridize()
    return s(x, s.begin_state(2)), s(x, s.begin_state(2, func=mx.nd.ones))


# -- layers ---------------------------------------------------------------------------------------

def layer_cases(mx, folder=None):
    rnn, nd = mx.gluon.rnn, mx.nd
    out = {}

    def layer_case(cls, hidden=4, layers=1, bi=False, layout='TNC', input_size=0,
                   states=None, hybrid=False, dtype='float32', seq=None, grad=False, **kw):
        def go():
            with mx.name.NameManager():
                net = getattr(rnn, cls)(hidden, layers, layout=layout, bidirectional=bi,
                                        input_size=input_size, dtype=dtype,
                                        use_sequence_length=seq is not None, **kw)
            net.initialize()
            T, N, C = 4, 3, 3
            shape = (T, N, C) if layout == 'TNC' else (N, T, C)
            x = data(mx, shape, dtype)
            args = [x]
            if seq is not None:
                args = [x, None, nd.array(seq, dtype=dtype)]
            if states is None and seq is None:
                net(x)
            elif seq is None:
                net(x, net.begin_state(N, dtype=dtype))
            else:
                net(x, net.begin_state(N, dtype=dtype), nd.array(seq, dtype=dtype))
            fill(mx, net)
            if hybrid:
                net.hybridize()
            st = None
            if states == 'list':
                st = [data(mx, s['shape'], dtype, seed=k + 2)
                      for k, s in enumerate(net.state_info(N))]
            elif states == 'one':
                st = data(mx, net.state_info(N)[0]['shape'], dtype, seed=3)
            elif states == 'begin':
                st = net.begin_state(N, dtype=dtype)
            if seq is not None:
                if st is None:
                    st = net.begin_state(N, dtype=dtype)
                cargs = (x, st, nd.array(seq, dtype=dtype))
            else:
                cargs = (x,) if st is None else (x, st)
            if grad:
                x.attach_grad()
                with mx.autograd.record():
                    r = net(*cargs)
                    flat = [r] if not isinstance(r, (list, tuple)) else \
                        [r[0]] + list(r[1] if isinstance(r[1], (list, tuple)) else [r[1]])
                    loss = sum((a.astype('float64') ** 2).sum() for a in flat)
                loss.backward()
                return r, x.grad, [p.grad() for _, p in sorted(net.collect_params().items())]
            r = net(*cargs)
            res = {'r': r, 'names': names(net), 'state_info': net.state_info(N)}
            if hybrid:
                res['r2'] = net(*cargs)     # the second call of a hybridized block
            return res
        return outcome(go)

    for cls in ['RNN', 'LSTM', 'GRU']:
        for layers in [1, 2, 3]:
            for bi in [False, True]:
                for states in [None, 'list', 'one', 'begin'][:4 if layers == 1 else 2]:
                    for hybrid in [False, True]:
                        key = 'L_%s_%d_%s_%s_%s' % (cls, layers, bi, states, hybrid)
                        out[key] = layer_case(cls, layers=layers, bi=bi, states=states,
                                              hybrid=hybrid, dropout=0.3 if layers > 1 else 0)
        for layout in ['NTC', 'TNC']:
            for hybrid in [False, True]:
                for bi in [False, True]:
                    for states in [None, 'list']:
                        key = 'S_%s_%s_%s_%s_%s' % (cls, layout, hybrid, bi, states)
                        out[key] = layer_case(cls, layers=2, bi=bi, layout=layout,
                                              hybrid=hybrid, seq=[4, 2, 1], states=states)
        out['in3_%s' % cls] = layer_case(cls, input_size=3, layers=2, bi=True)
        out['f64_%s' % cls] = layer_case(cls, dtype='float64', layers=2, bi=True, states='list')
        out['f64_hyb_%s' % cls] = layer_case(cls, dtype='float64', layers=2, hybrid=True)
        out['f16_%s' % cls] = layer_case(cls, dtype='float16', layers=1, states='list')
        out['grad_%s' % cls] = layer_case(cls, layers=2, bi=True, grad=True, states='list')
        out['grad_seq_%s' % cls] = layer_case(cls, layers=1, bi=True, grad=True, seq=[4, 1, 2])
        out['grad_hyb_%s' % cls] = layer_case(cls, layers=2, grad=True, hybrid=True)
        out['ntc_states_%s' % cls] = layer_case(cls, layers=2, bi=True, layout='NTC',
                                                states='list')
    for clip in [(-0.1, 0.1), (-0.05, 0.2)]:
        for hybrid in [False, True]:
            for nan in [False, True]:
                out['clip_%s_%s_%s' % (clip, hybrid, nan)] = layer_case(
                    'LSTM', layers=2, bi=True, state_clip_min=clip[0],
                    state_clip_max=clip[1], state_clip_nan=nan, states='list',
                    hybrid=hybrid)
        out['clip_grad_%s' % (clip,)] = layer_case(
            'LSTM', layers=1, state_clip_min=clip[0], state_clip_max=clip[1],
            grad=True, states='list')
    for hybrid in [False, True]:
        out['proj_%s' % hybrid] = layer_case('LSTM', hidden=5, layers=2, bi=True,
                                             projection_size=3, states='list', hybrid=hybrid)
        out['proj_seq_%s' % hybrid] = layer_case('LSTM', hidden=5, layers=1, bi=True,
                                                 projection_size=3, seq=[4, 2, 3], hybrid=hybrid)
        out['proj_clip_%s' % hybrid] = layer_case(
            'LSTM', hidden=5, layers=1, projection_size=3, state_clip_min=-0.1,
            state_clip_max=0.1, hybrid=hybrid, states='list')
    out['proj_grad'] = layer_case('LSTM', hidden=5, layers=2, projection_size=3, grad=True,
                                  states='list')

    # misuse
    def bad(fn):
        return outcome(fn)
    out['bad_layout'] = bad(lambda: rnn.LSTM(3, layout='TN'))
    out['bad_state_shape'] = bad(lambda: _call_bad_state(mx))
    out['bad_states_number'] = bad(lambda: _call_bad_state(mx, n=1))
    out['seq_without_flag'] = bad(lambda: _seq_without_flag(mx))
    out['flag_without_seq'] = bad(lambda: _flag_without_seq(mx))
    out['repr_lstm'] = outcome(lambda: repr(rnn.LSTM(4, 2, bidirectional=True, dropout=0.2,
                                                     input_size=3)))
    out['repr_gru'] = outcome(lambda: repr(rnn.GRU(4, layout='NTC')))
    out['repr_rnn'] = outcome(lambda: repr(rnn.RNN(4, activation='tanh')))
    out['repr_lstmp'] = outcome(lambda: repr(rnn.LSTM(4, projection_size=2)))
    out['rnn_projection'] = outcome(lambda: rnn.RNN(4, projection_size=2))
    for cls in ['RNN', 'LSTM', 'GRU']:
        out['layer_api_' + cls] = outcome(lambda cls=cls: _layer_api(mx, cls))
    if folder is not None:
        out['export'] = export_cases(mx, folder)
    return out


def _layer_api(mx, cls):
    """begin_state / state_info of a layer, its initializers' values, a float64 cast, and the
    keys of its parameter file."""
    import tempfile
    nd = mx.nd
    with mx.name.NameManager():
        net = getattr(mx.gluon.rnn, cls)(3, 2, bidirectional=True, input_size=2,
                                         i2h_weight_initializer='ones',
                                         h2h_weight_initializer=mx.init.Constant(0.25),
                                         i2h_bias_initializer=mx.init.Constant(0.5),
                                         h2h_bias_initializer='ones')
    net.initialize()
    values = {k: p.data() for k, p in net.collect_params().items()}
    res = {'values': values, 'info': net.state_info(2),
           'ones': net.begin_state(2, func=nd.ones),
           'f64': net.begin_state(2, dtype='float64'),
           'selected': sorted(net.collect_params('.*_r1_.*').keys())}
    net.cast('float64')
    res['cast'] = net(data(mx, (3, 2, 2), 'float64'))
    res['cast_info'] = net.state_info(2)
    folder = tempfile.mkdtemp()
    net.save_parameters(os.path.join(folder, 'p.params'))
    res['keys'] = sorted(nd.load(os.path.join(folder, 'p.params')).keys())
    return res


def cell_files(mx):
    """The keys of ``save_parameters`` files of containers of cells, and of ``collect_params``."""
    import tempfile
    rnn, nd = mx.gluon.rnn, mx.nd
    out = {}
    makers = {
        'seq': lambda: _seq(rnn),
        'bi': lambda: rnn.BidirectionalCell(rnn.LSTMCell(4, input_size=3),
                                            rnn.GRUCell(4, input_size=3)),
        'res_zone': lambda: rnn.ResidualCell(rnn.ZoneoutCell(rnn.GRUCell(3, input_size=3), 0.1)),
        'hseq_bi': lambda: _hseq_bi(rnn),
    }
    for name, make in makers.items():
        def go(make=make):
            with mx.name.NameManager():
                cell = make()
            cell.initialize()
            folder = tempfile.mkdtemp()
            cell.save_parameters(os.path.join(folder, 'c.params'))
            return {'file': sorted(nd.load(os.path.join(folder, 'c.params')).keys()),
                    'collect': names(cell)}
        out[name] = outcome(go)
    return out


def _hseq_bi(rnn):
    s = rnn.HybridSequentialRNNCell()
    s.add(rnn.LSTMCell(4, input_size=3))
    s.add(rnn.DropoutCell(0.2))
    s.add(rnn.BidirectionalCell(rnn.RNNCell(2, input_size=4), rnn.RNNCell(2, input_size=4)))
    return s


def _call_bad_state(mx, n=2):
    net = mx.gluon.rnn.LSTM(4, input_size=3)
    net.initialize()
    st = [mx.nd.zeros((1, 2, 4)), mx.nd.zeros((1, 2, 5))][:n]
    return net(mx.nd.zeros((3, 2, 3)), st)


def _seq_without_flag(mx):
    net = mx.gluon.rnn.GRU(4, input_size=3)
    net.initialize()
    x = mx.nd.zeros((3, 2, 3))
    return net(x, net.begin_state(2), mx.nd.array([1, 2]))


def _flag_without_seq(mx):
    net = mx.gluon.rnn.GRU(4, input_size=3, use_sequence_length=True)
    net.initialize()
    x = data(mx, (3, 2, 3))
    return net(x)


EXPORTS = {
    'lstm2bi': ('LSTM', dict(num_layers=2, bidirectional=True)),
    'gru_ntc': ('GRU', dict(num_layers=1, layout='NTC')),
    'rnn_relu': ('RNN', dict(num_layers=2, activation='relu')),
    'lstm_proj': ('LSTM', dict(num_layers=1, projection_size=2)),
}


def export_cases(mx, folder):
    """Export each layer of :data:`EXPORTS` (weights set by :func:`fill`) into ``folder`` and
    import it back with ``SymbolBlock.imports``; outputs of both, and the saved names."""
    rnn, nd = mx.gluon.rnn, mx.nd
    out = {}
    for name, (cls, kw) in EXPORTS.items():
        def go(name=name, cls=cls, kw=kw):
            with mx.name.NameManager():
                net = getattr(rnn, cls)(4, **kw)
            net.initialize()
            layout = kw.get('layout', 'TNC')
            x = data(mx, (3, 2, 3) if layout == 'TNC' else (2, 3, 3))
            net(x)
            fill(mx, net)
            net.hybridize()
            y = net(x)
            path = os.path.join(folder, name)
            net.export(path)
            net.save_parameters(path + '.params')
            states = net.begin_state(x.shape[layout.find('N')])
            inputs = ['data%d' % i for i in range(len(states) + 1)]
            imp = mx.gluon.SymbolBlock.imports(path + '-symbol.json', inputs,
                                               path + '-0000.params')
            z = imp(x, *states)
            saved = sorted(nd.load(path + '-0000.params'))
            return {'y': y, 'z': z, 'saved': saved,
                    'imported': sorted(imp.collect_params().keys())}
        out[name] = outcome(go)
    return out


def load_mxnet_params(mx, folder):
    """Load each ``<name>.params`` of ``folder`` that MXNet saved (``save_parameters``) into a
    fresh layer built the same way (``load_parameters``), and run it."""
    rnn = mx.gluon.rnn
    out = {}
    for name, (cls, kw) in EXPORTS.items():
        def go(name=name, cls=cls, kw=kw):
            net = getattr(rnn, cls)(4, **kw)
            net.load_parameters(os.path.join(folder, name + '.params'), allow_missing=False,
                                ignore_extra=False)
            layout = kw.get('layout', 'TNC')
            x = data(mx, (3, 2, 3) if layout == 'TNC' else (2, 3, 3))
            return net(x)
        out[name] = outcome(go)
    return out


def imports_mxnet_files(mx, folder):
    """``SymbolBlock.imports`` of the files MXNet exported into ``folder``, run."""
    out = {}
    for name, (cls, kw) in EXPORTS.items():
        def go(name=name, cls=cls, kw=kw):
            path = os.path.join(folder, name)
            net = getattr(mx.gluon.rnn, cls)(4, **kw)
            layout = kw.get('layout', 'TNC')
            x = data(mx, (3, 2, 3) if layout == 'TNC' else (2, 3, 3))
            states = net.begin_state(2)
            inputs = ['data%d' % i for i in range(len(states) + 1)]
            imp = mx.gluon.SymbolBlock.imports(path + '-symbol.json', inputs,
                                               path + '-0000.params')
            return imp(x, *states)
        out[name] = outcome(go)
    return out


CONSTRUCTORS = {
    'hidden_float': ('LSTM', (4.0,), {}),
    'layers_float': ('GRU', (4, 2.0), {}),
    'hidden_zero': ('RNN', (0,), {}),
    'input_negative': ('LSTM', (4,), {'input_size': -1}),
    'input_float': ('GRU', (4,), {'input_size': 3.0}),
    'projection_negative': ('LSTM', (4,), {'projection_size': -1}),
    'projection_float': ('LSTM', (4,), {'projection_size': 2.0}),
    'projection_rnn': ('RNN', (4,), {'projection_size': 2}),
    'projection_gru': ('GRU', (4,), {'projection_size': 2}),
    'dtype_int32': ('LSTM', (4,), {'dtype': 'int32'}),
    'dtype_int64_gru': ('GRU', (4,), {'dtype': 'int64'}),
    'clip_inverted': ('LSTM', (4,), {'state_clip_min': 1.0, 'state_clip_max': -1.0}),
    'cell_input_negative': ('GRUCell', (4,), {'input_size': -1}),
    'cell_input_float': ('LSTMCell', (4,), {'input_size': 3.0}),
    # fine: 0 and None mean no projection, a projection wider than the state is allowed
    'projection_zero': ('LSTM', (4,), {'projection_size': 0}),
    'projection_wide': ('LSTM', (4,), {'projection_size': 6}),
    'dtype_float64': ('GRU', (4,), {'dtype': 'float64'}),
}


def constructors(mx):
    """Each layer or cell of :data:`CONSTRUCTORS` built, initialized and run on an input of 3
    features (float32; the layer's dtype when it is a floating one): the output's shape and
    dtype, or the error."""
    rnn, nd = mx.gluon.rnn, mx.nd
    out = {}
    for name, (cls, args, kw) in CONSTRUCTORS.items():
        def go(cls=cls, args=args, kw=kw):
            net = getattr(rnn, cls)(*args, **kw)
            net.initialize()
            if cls.endswith('Cell'):
                x = data(mx, (2, 3))
                y = net(x, net.begin_state(2))[0]
            else:
                dtype = kw.get('dtype', 'float32')
                x = data(mx, (3, 2, 3), dtype if dtype.startswith('float') else 'float32')
                y = net(x)
            return [list(y.shape), np.dtype(y.dtype).name]
        out[name] = outcome(go)
    return out


def run(mx, folder=None):
    return {'cells': cell_cases(mx), 'cell_api': cell_api(mx), 'cell_files': cell_files(mx),
            'layers': layer_cases(mx, folder), 'constructors': constructors(mx)}
