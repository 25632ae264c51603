import minigluon as mx
import os
import tempfile
import numpy as np
from minigluon import nd, gluon
from minigluon.gluon.model_zoo import vision

net = vision.get_model('resnet18_v1', classes=10)
net.initialize(mx.init.Xavier())
x = nd.array(np.random.RandomState(0).rand(1, 3, 32, 32))
print('out', net(x).shape)
params = net.collect_params()
print('n params', len(list(params.keys())), sum(int(np.prod(p.shape)) for p in params.values()))
print('first', list(params.keys())[:3])
print('features', len(net.features), type(net.output).__name__)
tmp = tempfile.mkdtemp()
f = os.path.join(tmp, 'r18.params')
net.save_parameters(f)
loaded = nd.load(f)
print('keys', len(loaded), sorted(loaded.keys())[:3])

# fine-tune: a new output layer with a different class count
new = vision.get_model('resnet18_v1', classes=5)
try:
    new.load_parameters(f)
except Exception as e:
    print('strict load fails', isinstance(e, AssertionError), 'shape incompatible' in str(e))
partial = {k: v for k, v in nd.load(f).items() if not k.startswith('output.')}
f_part = os.path.join(tmp, 'part.params')
nd.save(f_part, partial)
try:
    new.load_parameters(f_part)
except Exception as e:
    print('missing fails', isinstance(e, AssertionError), 'allow_missing' in str(e))
new.load_parameters(f_part, allow_missing=True)
new.output.initialize(mx.init.Xavier())
print('new out', new(x).shape)
same = np.allclose(new.features[0].weight.data().asnumpy(), net.features[0].weight.data().asnumpy())
print('features copied', same)
extra = dict(partial)
extra['unused.weight'] = nd.ones((2, 2))
nd.save(f_part, extra)
try:
    new.load_parameters(f_part, allow_missing=True)
except Exception as e:
    print('extra fails', type(e).__name__ in ('ValueError', 'ParameterMismatchError'), isinstance(e, ValueError))
new.load_parameters(f_part, allow_missing=True, ignore_extra=True)
print('both flags ok')

net2 = vision.resnet18_v1(classes=10)
net2.load_parameters(f, ctx=mx.cpu())
print('roundtrip', float(abs(net2(x) - net(x)).max().asscalar()) < 1e-5)
m = vision.get_model('mobilenet0.25', classes=3)
m.initialize()
print('mobilenet', m(x).shape)
import shutil
shutil.rmtree(tmp)
