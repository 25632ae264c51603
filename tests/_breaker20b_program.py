"""Programs run on minigluon by tests/test_breaker20b_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker20b_fixtures.py (``mx`` is either package): each returns JSON-able results.
An error is recorded as ``'error'`` (the class names differ between the two frameworks; the
tests check minigluon's own where it matters).

The cases are valid MXNet 1.9.1 usage next to the last hour's changes: positional attributes
after every input (the input-slot refusal), in ``nd``, in ``sym`` and through ``F`` in a
hybridized block; user blocks that use the names the PyTorch hints occupy, their own
``__getattr__``, ``hybrid_forward(self, F, x, *args, **kwargs)`` and Parameters by name; the
convolution and pooling layers' constructors; window geometry (padding, the 'full'
convention, transposed convolutions' ``adj`` / ``target_shape``); ``autograd.grad`` of
tuples; ``NDArrayIter`` shuffling with every ``last_batch_handle``."""
import numpy as np


def _raised(fn):
    """``fn()``'s result, or ``'error'`` when it raises."""
    try:
        return fn()
    except Exception:          # noqa: BLE001 -- an error is a result here
        return 'error'


def _arr(mx, shape, seed, dtype='float32'):
    rs = np.random.RandomState(seed)
    return mx.nd.array(rs.uniform(-1, 1, shape).astype(dtype), dtype=dtype)


def _out(value):
    """An operator's result as nested lists (a list of outputs for several)."""
    if isinstance(value, (list, tuple)):
        return [_out(v) for v in value]
    return value.asnumpy().astype('float64').tolist()


def _inputs(mx):
    """The arrays the positional calls below use."""
    nd = mx.nd
    return {
        'x': _arr(mx, (2, 3), 1), 'x4': _arr(mx, (1, 2, 5, 5), 2), 'w': _arr(mx, (3, 2, 3, 3), 3),
        'b': _arr(mx, (3,), 4), 'fw': _arr(mx, (4, 3), 5), 'fb': _arr(mx, (4,), 6),
        'idx': nd.array([2, 0]), 'idx3': nd.array([1, 0, 1]), 'seq': _arr(mx, (4, 2, 3), 7),
        'lens': nd.array([2, 4]), 'g': nd.array([1.5, 0.5]), 'beta': nd.array([0.1, -0.2]),
        'mm': nd.array([0.1, 0.2]), 'mv': nd.array([1.0, 2.0]), 'g3': nd.array([1.5, 0.5, 2.0]),
        'b3': nd.array([0.1, -0.2, 0.3]), 'emb': _arr(mx, (5, 3), 8), 'a23': _arr(mx, (2, 3), 9),
        'b32': _arr(mx, (3, 2), 10), 'bd1': _arr(mx, (2, 2, 3), 11), 'bd2': _arr(mx, (2, 4, 3), 12),
        'cond': nd.array([[1, 0, 1], [0, 0, 1]]), 'dw': _arr(mx, (2, 3, 2, 2), 13),
        'rois': nd.array([[0, 0, 0, 3, 3], [0, 1, 1, 4, 4]]), 'lab': nd.array([2, 1]),
        'row': _arr(mx, (1, 3), 14),
    }


# (name, inputs by key, positional attribute values after them, keyword attributes):
# each runs as nd.<name>(*inputs, *values, **keywords), as sym.<name> on variables and
# through F in a hybridized block
POSITIONAL = [
    ('Pooling', ['x4'], [(2, 2), 'avg'], {}),
    ('Pooling', ['x4'], [(3, 3), 'max', False, False, 'full', (2, 2)], {}),
    ('FullyConnected', ['x', 'fw', 'fb'], [4], {}),
    ('FullyConnected', ['x', 'fw', None], [4, True], {}),
    ('Convolution', ['x4', 'w', 'b'], [(3, 3), (1, 1), (1, 1), (1, 1), 3], {}),
    ('Convolution', ['x4', 'w'], [], {'kernel': (3, 3), 'num_filter': 3, 'no_bias': True}),
    ('Deconvolution', ['x4', 'dw'], [(2, 2), (2, 2)], {'num_filter': 3, 'no_bias': True}),
    ('topk', ['x'], [1, 2], {}),
    ('topk', ['x'], [1, 2, 'value', False], {}),
    ('one_hot', ['idx'], [5], {}),
    ('one_hot', ['idx'], [4, 2.0, -1.0], {}),
    ('pick', ['x', 'idx'], [1], {}),
    ('pick', ['x', 'idx3'], [0, True], {}),
    ('SequenceMask', ['seq', 'lens'], [True], {}),
    ('SequenceMask', ['seq', 'lens'], [True, -1.0], {}),
    ('SequenceLast', ['seq', 'lens'], [True], {}),
    ('SequenceReverse', ['seq', 'lens'], [True], {}),
    ('softmax', ['x', None], [0], {}),
    ('softmax', ['x'], [], {'axis': 0}),
    ('log_softmax', ['x'], [0], {}),
    ('softmin', ['x'], [0], {}),
    ('clip', ['x'], [0.0, 0.5], {}),
    ('sum', ['x'], [1, True], {}),
    ('mean', ['x'], [(0, 1)], {}),
    ('transpose', ['x'], [(1, 0)], {}),
    ('reshape', ['x'], [(3, -1)], {}),
    ('slice_axis', ['x'], [1, 0, 2], {}),
    ('slice', ['x'], [(0, 1), (2, 3)], {}),
    ('take', ['x', 'idx'], [1], {}),
    ('take', ['x', 'idx'], [1, 'wrap'], {}),
    ('where', ['cond', 'x', 'a23'], [], {}),
    ('BatchNorm', ['x4', 'g', 'beta', 'mm', 'mv'], [1e-3, 0.9, False, True], {}),
    ('LeakyReLU', ['x', None], ['leaky', 0.2], {}),
    ('LeakyReLU', ['x'], [], {'act_type': 'elu', 'slope': 0.5}),
    ('Embedding', ['idx', 'emb'], [5, 3], {}),
    ('dot', ['a23', 'b32'], [False, False], {}),
    ('dot', ['a23', 'a23'], [False, True], {}),
    ('batch_dot', ['bd1', 'bd2'], [False, True], {}),
    ('broadcast_to', ['row'], [(2, 3)], {}),
    ('tile', ['x'], [(2, 1)], {}),
    ('repeat', ['x'], [2, 0], {}),
    ('split', ['x'], [3, 1], {}),
    ('split', ['x'], [3, 1, True], {}),
    ('expand_dims', ['x'], [0], {}),
    ('norm', ['x'], [2, 1], {}),
    ('argmax', ['x'], [1], {}),
    ('argmax', ['x'], [1, True], {}),
    ('sort', ['x'], [1, False], {}),
    ('argsort', ['x'], [1, False], {}),
    ('Activation', ['x'], ['softrelu'], {}),
    ('ROIPooling', ['x4', 'rois'], [(2, 2), 1.0], {}),
    ('LayerNorm', ['x', 'g3', 'b3'], [-1, 1e-3], {}),
    ('InstanceNorm', ['x4', 'g', 'beta'], [1e-3], {}),
    ('L2Normalization', ['x'], [1e-10, 'instance'], {}),
    ('smooth_l1', ['x'], [2.0], {}),
    ('SoftmaxOutput', ['x', 'lab'], [1.0], {}),
    ('softmax_cross_entropy', ['x', 'lab'], [], {}),
    ('MakeLoss', ['x'], [2.0], {}),
    ('flip', ['x'], [1], {}),
    ('swapaxes', ['x'], [0, 1], {}),
    ('squeeze', ['row'], [0], {}),
    ('max', ['x'], [1, True], {}),
    ('min', ['x'], [0], {}),
    ('prod', ['x'], [None, False, True], {}),
    ('nansum', ['x'], [1], {}),
    ('cumsum', ['x'], [1], {}),
    ('diag', ['x'], [1], {}),
    ('pad', ['x4'], ['edge', (0, 0, 0, 0, 1, 1, 2, 0)], {}),
    ('UpSampling', ['x4'], [], {'scale': 2, 'sample_type': 'nearest'}),
    ('Cast', ['x'], ['float64'], {}),
    ('cast', ['x'], ['float16'], {}),
    ('Dropout', ['x'], [0.5], {}),
    ('Flatten', ['x4'], [], {}),
    ('Reshape', ['x'], [(0, -1)], {}),
    ('broadcast_axis', ['row'], [0, 2], {}),
    ('linalg_gemm2', ['a23', 'a23'], [False, True], {}),
    ('linalg_gemm2', ['a23', 'b32'], [False, False, 2.0], {}),
    ('space_to_depth', ['x4'], [1], {}),
    ('gather_nd', ['x', 'cond'], [], {}),
    # a number where MXNet's signature has a later input (refused by both)
    ('softmax', ['x'], [0], {}),
    ('LeakyReLU', ['x'], ['leaky'], {}),
    ('FullyConnected', ['x', 'fw'], [4], {'no_bias': True}),
    ('SequenceMask', ['seq'], [True], {}),
    # keywords: concat's own name is dim, stack's axis
    ('concat', ['x', 'a23'], [], {'dim': 0}),
    ('concat', ['x', 'a23'], [], {}),
    ('Concat', ['x', 'a23'], [], {'dim': 1}),
    ('stack', ['x', 'a23'], [], {'axis': 1}),
    ('stack', ['x', 'a23'], [], {}),
    ('add_n', ['x', 'a23'], [], {}),
    ('concat', ['x', 'a23'], [], {'axis': 0}),
    ('stack', ['x', 'a23'], [], {'dim': 1}),
    ('sum', ['x'], [], {'dim': 1}),
]


def _case_key(i, case):
    return '%02d_%s' % (i, case[0])


def positional_nd(mx):
    """Each case of :data:`POSITIONAL` called on ``nd``; MXNet's result, or 'error'."""
    arrays = _inputs(mx)
    out = {}
    for i, (name, inputs, values, keywords) in enumerate(POSITIONAL):
        args = [None if k is None else arrays[k] for k in inputs] + list(values)
        fn = getattr(mx.nd, name)
        out[_case_key(i, POSITIONAL[i])] = _raised(lambda: _out(fn(*args, **keywords)))
    return out


def positional_sym(mx):
    """The same calls on ``sym``: variables in the input places, evaluated on the arrays."""
    arrays = _inputs(mx)
    out = {}
    for i, (name, inputs, values, keywords) in enumerate(POSITIONAL):
        def run():
            given = {}
            args = []
            for j, k in enumerate(inputs):
                if k is None:
                    args.append(None)
                    continue
                given['in%d' % j] = arrays[k]
                args.append(mx.sym.var('in%d' % j))
            s = getattr(mx.sym, name)(*(args + list(values)), **keywords)
            if s.list_auxiliary_states():    # (eval binds no auxiliary states in MXNet)
                return [s.list_arguments(), s.list_auxiliary_states()]
            missing = [a for a in s.list_arguments() if a not in given]
            if missing:          # a left-out input became a variable: not evaluated here
                return ['unbound'] + missing
            res = s.eval(ctx=mx.cpu(), **given)
            return _out(res if len(res) > 1 else res[0])
        out[_case_key(i, POSITIONAL[i])] = _raised(run)
    return out


def positional_hybrid(mx):
    """The same calls through ``F`` in a hybridized block (and once eagerly, not hybridized)."""
    arrays = _inputs(mx)
    out = {}
    for i, (name, inputs, values, keywords) in enumerate(POSITIONAL):
        present = [k for k in inputs if k is not None]

        class Net(mx.gluon.HybridBlock):
            def hybrid_forward(self, F, *xs):
                it = iter(xs)
                args = [None if k is None else next(it) for k in inputs]
                return getattr(F, name)(*(args + list(values)), **keywords)

        def run(hybridize):
            net = Net()
            if hybridize:
                net.hybridize()
            return _out(net(*[arrays[k] for k in present]))
        out[_case_key(i, POSITIONAL[i])] = [_raised(lambda: run(False)), _raised(lambda: run(True))]
    return out


def namespaces(mx):
    """Positional attributes in the contrib, linalg, image and random namespaces (random draws
    recorded by shape and dtype only)."""
    nd = mx.nd
    a = _inputs(mx)
    x4, x = a['x4'], a['x']
    boxes = nd.array([[[0, 0.9, 0, 0, 2, 2], [0, 0.8, 0.1, 0.1, 2, 2], [1, 0.7, 3, 3, 4, 4]]])
    spd = nd.array([[4.0, 1.0], [1.0, 3.0]])
    img = nd.array(np.arange(24).reshape(4, 2, 3).astype('float32'))
    chw = nd.array(np.arange(24).reshape(3, 2, 4).astype('float32') / 24)
    calls = {
        'box_nms': lambda: nd.contrib.box_nms(boxes, 0.5, -1, -1, 1, 2, 0, 0),
        'box_iou': lambda: nd.contrib.box_iou(boxes[0, :, 2:], boxes[0, :, 2:], 'corner'),
        'ROIAlign': lambda: nd.contrib.ROIAlign(x4, a['rois'], (2, 2), 1.0, 2),
        'BilinearResize2D': lambda: nd.contrib.BilinearResize2D(x4, None, 3, 4),
        'BilinearResize2D_slot': lambda: nd.contrib.BilinearResize2D(x4, 3, 4),
        'AdaptiveAvgPooling2D': lambda: nd.contrib.AdaptiveAvgPooling2D(x4, (2, 3)),
        'arange_like': lambda: nd.contrib.arange_like(x, 1.0, 2.0, 1, None, 1),
        'arange_like_ctx_none': lambda: nd.contrib.arange_like(x, ctx=None, axis=1),
        'arange_like_ctx_none_pos': lambda: nd.contrib.arange_like(x, 1.0, 2.0, 1, None, 1),
        'zeros_op_ctx_none': lambda: nd._internal._zeros(shape=(2,), ctx=None),
        'random_uniform_op_ctx_none': lambda: nd._internal._random_uniform(
            low=0, high=1, shape=(2,), ctx=None).shape,
        'sum_keepdims_float': lambda: nd.sum(x, 1, 1.0),
        'sum_keepdims_int': lambda: nd.sum(x, 1, 1),
        'sum_keepdims_npbool': lambda: nd.sum(x, 1, np.bool_(True)),
        'div_sqrt_dim': lambda: nd.contrib.div_sqrt_dim(x),
        'index_copy': lambda: nd.contrib.index_copy(x, nd.array([1]), a['row']),
        'gemm': lambda: nd.linalg.gemm(a['a23'], a['b32'], spd, False, False, 2.0, 0.5),
        'gemm2': lambda: nd.linalg.gemm2(a['a23'], a['b32'], False, False, 3.0),
        'potrf': lambda: nd.linalg.potrf(spd),
        'trsm': lambda: nd.linalg.trsm(nd.linalg.potrf(spd), spd, False, False, True, 1.0),
        'trsm_float_bool': lambda: nd.linalg.trsm(nd.linalg.potrf(spd), spd, False, False, 1.0),
        'syrk': lambda: nd.linalg.syrk(a['a23'], True, 0.5),
        'sumlogdiag': lambda: nd.linalg.sumlogdiag(spd),
        'img_normalize': lambda: nd.image.normalize(chw, (0.5, 0.4, 0.3), (0.2, 0.2, 0.1)),
        'img_to_tensor': lambda: nd.image.to_tensor(img),
        'img_resize': lambda: nd.image.resize(img, (4, 3), False, 1),
        'img_crop': lambda: nd.image.crop(img, 1, 0, 2, 3),
        'img_flip': lambda: nd.image.flip_left_right(img),
    }
    out = {k: _raised(lambda: fn() if isinstance(fn(), tuple) else _out(fn()))
           for k, fn in calls.items()}
    sx = mx.sym.var('x')
    out['sym_arange_like_ctx_none'] = _raised(lambda: _out(mx.sym.contrib.arange_like(
        sx, ctx=None, axis=0).eval(ctx=mx.cpu(), x=x)[0]))
    mu, sigma = nd.array([0.0, 1.0]), nd.array([1.0, 2.0])
    draws = {
        'normal': lambda: nd.random.normal(0, 1, (2, 3)),
        'normal_nd': lambda: nd.random.normal(mu, sigma, (3,)),
        'uniform': lambda: nd.random.uniform(-1, 1, (4,), 'float64'),
        'uniform_nd': lambda: nd.random.uniform(mu, sigma + 2, 2),
        'randint': lambda: nd.random.randint(0, 5, (3,)),
        'poisson': lambda: nd.random.poisson(2.0, (2,)),
        'exponential': lambda: nd.random.exponential(1.5, (2, 2)),
        'gamma_nd': lambda: nd.random.gamma(mu + 1, sigma, (2,)),
        'multinomial': lambda: nd.random.multinomial(nd.array([[0.2, 0.8], [0.5, 0.5]]), 3),
        'shuffle': lambda: nd.random.shuffle(x),
        'sample_normal': lambda: nd.sample_normal(mu, sigma, (2,)),
        'random_normal': lambda: nd.random_normal(0, 1, (2, 2)),
        'normal_like': lambda: nd.random.normal_like(x, 0, 1),
    }
    for k, fn in draws.items():
        out['random_' + k] = _raised(lambda: [list(fn().shape), str(fn().dtype)])
    return out


def methods(mx):
    """NDArray methods called with positional attributes (MXNet's pass them on to the
    operator after ``self``)."""
    a = _inputs(mx)
    x, idx = a['x'], a['idx']
    calls = {
        'topk': lambda: x.topk(1, 2), 'clip': lambda: x.clip(0.0, 0.5), 'sum': lambda: x.sum(1),
        'softmax_axis': lambda: x.softmax(axis=0), 'softmax_pos': lambda: x.softmax(0),
        'log_softmax_pos': lambda: x.log_softmax(0), 'one_hot': lambda: idx.one_hot(4),
        'pick': lambda: x.pick(idx, 1), 'take': lambda: x.take(idx, 1),
        'slice_axis': lambda: x.slice_axis(1, 0, 2), 'repeat': lambda: x.repeat(2, 0),
        'tile': lambda: x.tile((2, 1)), 'split': lambda: x.split(3, 1),
        'expand_dims': lambda: x.expand_dims(0), 'norm': lambda: x.norm(2, 1),
        'argmax': lambda: x.argmax(1), 'sort': lambda: x.sort(1, False),
        'argsort': lambda: x.argsort(0), 'transpose': lambda: x.transpose((1, 0)),
        'swapaxes': lambda: x.swapaxes(0, 1), 'flip': lambda: x.flip(1),
        'max': lambda: x.max(1, True), 'mean': lambda: x.mean(0), 'nansum': lambda: x.nansum(1),
        'broadcast_to': lambda: a['row'].broadcast_to((2, 3)),
        'reshape_tuple': lambda: x.reshape((3, 2)), 'reshape_ints': lambda: x.reshape(3, 2),
        'softmin_pos': lambda: x.softmin(0), 'relu_out': lambda: x.relu(),
        'sum_dim': lambda: x.sum(dim=1), 'softmax_dim': lambda: x.softmax(dim=0),
    }
    return {k: _raised(lambda: _out(fn())) for k, fn in calls.items()}


def trailing(mx):
    """Values past the last attribute fill out= (nd) and name= (sym), after inputs left out as
    None (binding.leading_inputs counts them)."""
    nd, sym = mx.nd, mx.sym
    a = _inputs(mx)
    x = a['x']

    def into(fn, shape):
        o = nd.zeros(shape)
        r = fn(o)
        return [_out(o), r is o]
    calls = {
        'fc_out': lambda: into(lambda o: nd.FullyConnected(x, a['fw'], None, 4, True, True, o),
                               (2, 4)),
        'relu_out': lambda: into(lambda o: nd.relu(x, o), (2, 3)),
        'softmax_out': lambda: into(lambda o: nd.softmax(x, None, 1, None, None, False, o),
                                    (2, 3)),
        'clip_out': lambda: into(lambda o: nd.clip(x, 0.0, 0.5, o), (2, 3)),
        'sum_out': lambda: into(lambda o: x.sum(1, False, False, o), (2,)),
        'take_out': lambda: into(lambda o: nd.take(x, a['idx'], 0, 'clip', o), (2, 3)),
        'sym_relu_name': lambda: sym.relu(sym.var('d'), 'nm').name,
        'sym_fc_name': lambda: sym.FullyConnected(sym.var('d'), None, None, 4, False, True,
                                                  'fcname').list_arguments(),
        'sym_sum_name': lambda: sym.sum(sym.var('d'), 1, False, False, 'total').name,
        'sym_softmax_name': lambda: sym.softmax(sym.var('d'), None, 1, None, None, False,
                                                'sm').name,
    }
    return {k: _raised(fn) for k, fn in calls.items()}


# --- blocks --------------------------------------------------------------------------------------

def blocks(mx):
    """User blocks that MXNet 1.9.1 accepts: names the PyTorch hints occupy used for the block's
    own attributes and methods, values set before ``super().__init__()``, a ``__getattr__`` of
    the block's own, ``hybrid_forward`` taking ``*args`` / ``**kwargs``, Parameters by name."""
    nn, nd = mx.gluon.nn, mx.nd
    res = {}

    class OwnNames(nn.HybridBlock):
        def __init__(self, **kw):
            self.mode = 'x'                  # a plain value before super().__init__()
            super(OwnNames, self).__init__(**kw)
            self.eval = 3
            self.train = True
            self.to = 'cpu'
            self.parameters = [1, 2]
            self.state_dict = {'k': 1}
            with self.name_scope():
                self.dense = nn.Dense(2, in_units=3)

        def hybrid_forward(self, F, x, *args, **kwargs):
            return self.dense(x) * (2 if self.train else 1)

    def own_names():
        net = OwnNames(prefix='own_')
        net.initialize(mx.init.Constant(0.5))
        y1 = net(nd.ones((1, 3)))
        net.hybridize()
        y2 = net(nd.ones((1, 3)))
        return [net.eval, net.train, net.to, net.parameters, net.state_dict, net.mode,
                _out(y1), _out(y2), sorted(net.collect_params().keys())]
    res['own_names'] = _raised(own_names)

    class Methods(nn.Block):
        def forward(self, x):
            return x * 2

        def eval(self):
            return 'evaluated'

        def train(self, flag=True):
            return 'train %s' % flag

        def cuda(self):
            return 'cuda'

        def named_parameters(self):
            return sorted(self.collect_params().keys())

    def methods_():
        net = Methods(prefix='m_')
        return [_out(net(nd.ones(2))), net.eval(), net.train(False), net.cuda(),
                net.named_parameters()]
    res['methods'] = _raised(methods_)

    class Learner:
        # a mixin listed after the Gluon class: MXNet's classes lack these names, so Python
        # finds the mixin's
        to = 'device'

        def train(self, steps=1):
            return 'trained %d' % steps

        def eval(self):
            return 'evaluated'

        @property
        def parameters(self):
            return 'the mixin property'

        @staticmethod
        def cuda():
            return 'static'

        @classmethod
        def state_dict(cls):
            return cls.__name__

        def zero_grad(self):
            return 'zeroed'

    class Agent(nn.HybridBlock, Learner):
        def hybrid_forward(self, F, x):
            return x * 2

    def mixin():
        agent = Agent(prefix='agent_')
        agent.hybridize()
        return [agent.train(3), agent.eval(), agent.parameters, agent.cuda(),
                agent.state_dict(), agent.to, Agent.to, Agent.state_dict(),
                _out(agent(nd.ones(2)))]
    res['mixin'] = _raised(mixin)

    class Frozen:
        @property
        def requires_grad(self):
            return self.grad_req != 'null'

        @requires_grad.setter
        def requires_grad(self, value):
            self.grad_req = 'write' if value else 'null'

    class FrozenParameter(mx.gluon.Parameter, Frozen):
        pass

    class MyTrainer(mx.gluon.Trainer, Learner):
        pass

    def mixin_parameter():
        p = FrozenParameter('w', shape=(2,))
        before = p.requires_grad
        p.requires_grad = False
        dense = nn.Dense(2, in_units=2, prefix='mt_')
        dense.initialize()
        trainer = MyTrainer(dense.collect_params(), 'sgd')
        return [before, p.grad_req, p.requires_grad, trainer.zero_grad(), trainer.train()]
    res['mixin_parameter'] = _raised(mixin_parameter)

    class OwnGetattr(nn.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self._extra = {'scale': 3.0}
            with self.name_scope():
                self.dense = nn.Dense(2, in_units=2)

        def __getattr__(self, name):
            extra = self.__dict__.get('_extra', {})
            if name in extra:
                return extra[name]
            raise AttributeError(name)

        def hybrid_forward(self, F, x):
            return self.dense(x) * self.scale

    def own_getattr():
        net = OwnGetattr(prefix='g_')
        net.initialize(mx.init.One())
        y1 = net(nd.ones((1, 2)))
        net.hybridize()
        y2 = net(nd.ones((1, 2)))
        return [net.scale, _out(y1), _out(y2), _raised(lambda: net.missing_name)]
    res['own_getattr'] = _raised(own_getattr)

    class Proxy(nn.Block):
        def __getattr__(self, name):          # answers every public name
            if name.startswith('_'):
                raise AttributeError(name)
            return 'proxied ' + name

    res['proxy'] = _raised(lambda: [Proxy().train, Proxy().eval, Proxy().to,
                                    Proxy().parameters])

    class ParamsByName(nn.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.weight = self.params.get('weight', shape=(2,), init=mx.init.Constant(2.0))
                self.bias = self.params.get('bias', shape=(2,), init=mx.init.Constant(0.5))

        def hybrid_forward(self, F, x, *args, **kwargs):
            y = F.broadcast_add(F.broadcast_mul(x, kwargs['weight']), kwargs['bias'])
            for a in args:
                y = y + a
            return y

    def params_by_name():
        out = []
        for hybridize in (False, True):
            for n in (1, 2):           # a hybridized graph keeps its number of inputs
                net = ParamsByName(prefix='p_')
                net.initialize()
                if hybridize:
                    net.hybridize()
                out.append(_out(net(*[nd.ones((1, 2))] * n)))
        return out
    res['params_by_name'] = _raised(params_by_name)

    class KeywordOnly(nn.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.weight = self.params.get('weight', shape=(2,), init=mx.init.Constant(3.0))

        def hybrid_forward(self, F, x, y=None, *, weight):
            return F.broadcast_mul(x if y is None else x + y, weight)

    def keyword_only():
        net = KeywordOnly(prefix='k_')
        net.initialize()
        a = net(nd.ones((1, 2)))
        net.hybridize()
        return [_out(a), _out(net(nd.ones((1, 2)), nd.ones((1, 2))))]
    res['keyword_only'] = _raised(keyword_only)

    class InnerTypeError(nn.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.relu(x) + len(5)         # a TypeError of the block's own code

    def inner_type_error():
        try:
            InnerTypeError()(nd.ones(2))
        except TypeError as err:
            return ['TypeError', 'len()' in str(err)]
        return 'no error'
    res['inner_type_error'] = inner_type_error()

    class ForwardOverride(nn.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.dense = nn.Dense(2, in_units=2)

        def forward(self, x):
            return super().forward(x) + 1

        def hybrid_forward(self, F, x):
            return self.dense(x)

    def forward_override(path):
        net = ForwardOverride(prefix='f_')
        net.initialize(mx.init.One())
        net.hybridize()
        y = net(nd.ones((1, 2)))
        net.export(path)
        return _out(y)
    res['forward_override_export'] = forward_override

    class DataLoaderLike(mx.gluon.data.Dataset):
        def __init__(self):
            self.drop_last = True
            self.collate_fn = None

        def __getitem__(self, i):
            return np.float32(i)

        def __len__(self):
            return 5
    res['dataloader'] = _raised(lambda: [_out(b) for b in mx.gluon.data.DataLoader(
        DataLoaderLike(), 2, last_batch='discard')])
    return res


def layers(mx):
    """Convolution and pooling layers made positionally, as MXNet's signatures read."""
    import inspect
    nn, nd = mx.gluon.nn, mx.nd
    res = {}
    for cls in ('Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose',
                'Conv3DTranspose', 'MaxPool1D', 'MaxPool2D', 'MaxPool3D', 'AvgPool1D',
                'AvgPool2D', 'AvgPool3D', 'GlobalAvgPool2D', 'GlobalMaxPool1D'):
        sig = inspect.signature(getattr(nn, cls))
        res['sig_' + cls] = [[p.name, p.kind.name, repr(p.default)] for p in
                             sig.parameters.values()]
    sig = inspect.signature(mx.gluon.data.DataLoader)
    res['sig_DataLoader'] = [[p.name, p.kind.name, repr(p.default)] for p in
                             sig.parameters.values()]
    x = _arr(mx, (1, 2, 6, 6), 20)
    made = {
        'conv2d_pos': lambda: nn.Conv2D(3, 3, 2, 1, 1, 1, 'NCHW', 'relu', False),
        'conv2d_groups': lambda: nn.Conv2D(4, (3, 3), (1, 1), (1, 1), (1, 1), 2),
        'conv2dT_pos': lambda: nn.Conv2DTranspose(3, 3, 2, 1, 1),
        # (dilation 1: MXNet's own CPU kernel computes a strided dilated transposed
        # convolution wrongly, docs/PORTING.md; its oneDNN one agrees with minigluon)
        'conv2dT_pos_dil': lambda: nn.Conv2DTranspose(3, 3, 2, 1, 1, 1),
        'maxpool_pos': lambda: nn.MaxPool2D(3, 2, 1, 'NCHW', True),
        'avgpool_pos': lambda: nn.AvgPool2D(3, 2, 1, 'NCHW', True, False),
        'avgpool_full': lambda: nn.AvgPool2D((2, 3), (2, 1), (1, 0), ceil_mode=True,
                                             count_include_pad=False),
        'maxpool_none_stride': lambda: nn.MaxPool2D(2, None, 0),
    }
    for key, make in made.items():
        def run():
            layer = make()
            layer.initialize(mx.init.Constant(0.1))
            y = layer(x)
            return [repr(layer), list(y.shape), _out(y)]
        res[key] = _raised(run)
    return res


# --- window geometry -----------------------------------------------------------------------------

def _grads(mx, fn, inputs, seed=99):
    for a in inputs:
        if a is not None:
            a.attach_grad()
    with mx.autograd.record():
        y = fn(*inputs)
    y.backward(_arr(mx, y.shape, seed))
    return [_out(y)] + [_out(a.grad) for a in inputs]


POOL_CASES = {
    'avg_full_pad': dict(shape=(1, 1, 7, 6), kernel=(3, 2), stride=(2, 3), pad=(1, 1),
                         pool_type='avg', pooling_convention='full'),
    'avg_full_nocount': dict(shape=(1, 2, 5, 7), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                             pool_type='avg', pooling_convention='full',
                             count_include_pad=False),
    'avg_valid_nocount': dict(shape=(1, 1, 6, 6), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                              pool_type='avg', count_include_pad=False),
    'sum_full_1d': dict(shape=(2, 1, 8), kernel=(3,), stride=(3,), pad=(1,), pool_type='sum',
                        pooling_convention='full'),
    'lp2_pad': dict(shape=(1, 1, 5, 5), kernel=(2, 2), stride=(2, 2), pad=(1, 1),
                    pool_type='lp', p_value=2),
    'max_3d_full': dict(shape=(1, 1, 5, 4, 3), kernel=(2, 2, 2), stride=(2, 2, 2),
                        pool_type='max', pooling_convention='full'),
    'avg_global_pad': dict(shape=(1, 2, 3, 4), kernel=(1, 1), global_pool=True, pad=(1, 1),
                           pool_type='avg'),
    'max_kernel_gt_input_full': dict(shape=(1, 1, 2, 2), kernel=(3, 3), stride=(2, 2),
                                     pad=(1, 1), pool_type='max', pooling_convention='full'),
}

DECONV_CASES = {
    'adj': dict(shape=(1, 2, 3, 4), f=2, kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 0)),
    'target_shape': dict(shape=(1, 2, 3, 3), f=1, kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                         target_shape=(6, 5)),
    'dilate_pad': dict(shape=(1, 1, 4, 3), f=2, kernel=(2, 3), stride=(1, 2), dilate=(2, 1),
                       pad=(1, 0)),
    'groups_1d': dict(shape=(1, 4, 5), f=4, g=2, kernel=(3,), stride=(3,), pad=(2,), adj=(1,)),
}

CONV_CASES = {
    'pad_gt_kernel': dict(shape=(1, 2, 3, 3), f=2, kernel=(2, 2), stride=(3, 1), pad=(3, 2)),
    'dilate3_1d': dict(shape=(1, 1, 10), f=2, kernel=(3,), dilate=(3,), pad=(2,)),
    'stride_eq_len': dict(shape=(1, 3, 4, 4), f=1, kernel=(4, 4), stride=(4, 4)),
}


def geometry(mx):
    """Pooling conventions with padding, transposed convolutions' adj / target_shape, and
    convolutions whose padding exceeds the kernel: outputs and gradients."""
    nd = mx.nd
    res = {}
    for i, (key, kw) in enumerate(sorted(POOL_CASES.items())):
        kw = dict(kw)
        x = _arr(mx, kw.pop('shape'), 30 + i)
        res['pool_' + key] = _raised(lambda: _grads(mx, lambda x: nd.Pooling(x, **kw), [x]))
    for i, (key, kw) in enumerate(sorted(DECONV_CASES.items())):
        kw = dict(kw)
        shape, f, g = kw.pop('shape'), kw.pop('f'), kw.pop('g', 1)
        x = _arr(mx, shape, 40 + i)
        w = _arr(mx, (shape[1], f // g) + kw['kernel'], 50 + i)
        res['deconv_' + key] = _raised(lambda: _grads(
            mx, lambda x, w: nd.Deconvolution(x, w, num_filter=f, num_group=g, no_bias=True,
                                              **kw), [x, w]))
    for i, (key, kw) in enumerate(sorted(CONV_CASES.items())):
        kw = dict(kw)
        shape, f = kw.pop('shape'), kw.pop('f')
        x = _arr(mx, shape, 60 + i)
        w = _arr(mx, (f, shape[1]) + kw['kernel'], 70 + i)
        b = _arr(mx, (f,), 80 + i)
        res['conv_' + key] = _raised(lambda: _grads(
            mx, lambda x, w, b: nd.Convolution(x, w, b, num_filter=f, **kw), [x, w, b]))
    return res


def depthwise_nonfinite(mx):
    """Depthwise convolution (3 channels, groups 3) with inf and NaN in the input, gradients
    accumulated with grad_req='add' over two passes (the compiled backward's fallback)."""
    nd = mx.nd
    x = _arr(mx, (1, 3, 6, 6), 90)
    x[0, 0, 2, 3] = np.inf
    x[0, 2, 0, 0] = np.nan
    w = _arr(mx, (3, 1, 3, 3), 91)
    w[1, 0, 1, 1] = -np.inf
    out = {}
    for req in ('write', 'add'):
        xs, ws = x.copy(), w.copy()
        xs.attach_grad(grad_req=req)
        ws.attach_grad(grad_req=req)
        for _ in range(2 if req == 'add' else 1):
            with mx.autograd.record():
                y = nd.Convolution(xs, ws, kernel=(3, 3), num_filter=3, num_group=3,
                                   stride=(2, 1), pad=(1, 1), no_bias=True)
            y.backward(_arr(mx, y.shape, 92))
        out[req] = [_out(y), _out(xs.grad), _out(ws.grad)]
    # finite data and weight, inf and NaN in the head gradient
    xs, ws = _arr(mx, (1, 3, 6, 6), 93), _arr(mx, (3, 1, 3, 3), 94)
    xs.attach_grad()
    ws.attach_grad()
    with mx.autograd.record():
        y = nd.Convolution(xs, ws, kernel=(3, 3), num_filter=3, num_group=3, pad=(1, 1),
                           no_bias=True)
    head = _arr(mx, y.shape, 95)
    head[0, 1, 2, 2] = np.inf
    head[0, 2, 5, 0] = np.nan
    y.backward(head)
    out['head'] = [_out(xs.grad), _out(ws.grad)]
    return out


def autograd_grad(mx):
    """autograd.grad of tuples and of one array; an empty list or tuple is refused by both."""
    nd, ag = mx.nd, mx.autograd
    x, y = nd.array([1.0, 2.0]), nd.array([3.0, -1.0])
    x.attach_grad()
    y.attach_grad()

    def run(variables):
        with ag.record():
            z = (x * x * y).sum()
        g = ag.grad(z, variables)
        return [_out(v) for v in g]
    return {'tuple': _raised(lambda: run((x, y))), 'one': _raised(lambda: run(x)),
            'list': _raised(lambda: run([y])), 'empty_list': _raised(lambda: run([])),
            'empty_tuple': _raised(lambda: run(()))}


# --- NDArrayIter ---------------------------------------------------------------------------------

def _epochs(mx, it, epochs, reset_first=False):
    """Each epoch's batches: [data..., label..., pad] per batch, the data as first columns."""
    out = []
    for e in range(epochs):
        if reset_first or e:
            it.reset()
        batches = []
        for batch in it:
            batches.append([[b.asnumpy()[:, 0].tolist() if b.ndim > 1 else b.asnumpy().tolist()
                             for b in batch.data + (batch.label or [])], batch.pad])
        out.append(batches)
    return out


def ndarray_iter(mx):
    """NDArrayIter with shuffle under a seeded np.random, every last_batch_handle, several data
    and label arrays, dict inputs, and numbers of resets."""
    res = {}
    data = np.arange(20, dtype='float32').reshape(10, 2)
    label = np.arange(10, dtype='float32') * 10
    for handle in ('pad', 'discard', 'roll_over'):
        for bs in (3, 4, 5):
            def run():
                np.random.seed(7)
                it = mx.io.NDArrayIter(data, label, bs, shuffle=True, last_batch_handle=handle)
                return _epochs(mx, it, 3)
            res['%s_%d' % (handle, bs)] = _raised(run)

    def several():
        np.random.seed(3)
        it = mx.io.NDArrayIter([data, data * 2], [label, label + 1], 4, True,
                               last_batch_handle='roll_over')
        return _epochs(mx, it, 3, reset_first=True)
    res['several'] = _raised(several)

    def dicts():
        np.random.seed(5)
        it = mx.io.NDArrayIter({'b': data, 'a': data + 100}, {'lab': label}, 3, True,
                               last_batch_handle='pad')
        return [[d.name for d in it.provide_data], [d.name for d in it.provide_label],
                _epochs(mx, it, 2)]
    res['dicts'] = _raised(dicts)

    def nd_inputs():
        np.random.seed(11)
        it = mx.io.NDArrayIter(mx.nd.array(data), mx.nd.array(label), 4, shuffle=True,
                               last_batch_handle='discard')
        return _epochs(mx, it, 2, reset_first=True)
    res['nd_inputs'] = _raised(nd_inputs)

    def interleaved_draws():
        np.random.seed(13)
        it = mx.io.NDArrayIter(data, label, 5, shuffle=True)
        first = _epochs(mx, it, 1)
        drawn = np.random.uniform(size=3).tolist()      # the script draws between epochs
        return [first, drawn, _epochs(mx, it, 2, reset_first=True)]
    res['interleaved_draws'] = _raised(interleaved_draws)

    def reset_mid_epoch():
        np.random.seed(17)
        it = mx.io.NDArrayIter(data, label, 3, shuffle=True, last_batch_handle='roll_over')
        first = [it.next().data[0].asnumpy()[:, 0].tolist() for _ in range(2)]
        return [first, _epochs(mx, it, 2, reset_first=True)]
    res['reset_mid_epoch'] = _raised(reset_mid_epoch)

    def no_label():
        np.random.seed(23)
        it = mx.io.NDArrayIter(data, batch_size=4, shuffle=True, last_batch_handle='pad')
        return [it.provide_label, _epochs(mx, it, 2)]
    res['no_label'] = _raised(no_label)

    def batch_larger_than_data():
        np.random.seed(29)
        it = mx.io.NDArrayIter(data[:3], label[:3], 7, shuffle=True, last_batch_handle='pad')
        return _epochs(mx, it, 2)
    res['batch_larger_than_data'] = _raised(batch_larger_than_data)

    def no_shuffle_roll():
        it = mx.io.NDArrayIter(data, label, 4, last_batch_handle='roll_over')
        return _epochs(mx, it, 3)
    res['no_shuffle_roll'] = _raised(no_shuffle_roll)

    def hard_reset():
        np.random.seed(19)
        it = mx.io.NDArrayIter(data, label, 4, True, last_batch_handle='roll_over')
        first = _epochs(mx, it, 1)
        it.hard_reset()
        return [first, _epochs(mx, it, 1)]
    res['hard_reset'] = _raised(hard_reset)
    return res


def run(mx, export_path):
    res = {'positional_nd': positional_nd(mx), 'positional_sym': positional_sym(mx),
           'positional_hybrid': positional_hybrid(mx), 'methods': methods(mx),
           'namespaces': namespaces(mx), 'trailing': trailing(mx),
           'layers': layers(mx), 'geometry': geometry(mx),
           'depthwise_nonfinite': depthwise_nonfinite(mx), 'autograd_grad': autograd_grad(mx),
           'ndarray_iter': ndarray_iter(mx)}
    b = blocks(mx)
    b['forward_override_export'] = _raised(lambda: b['forward_override_export'](export_path))
    res['blocks'] = b
    return res
