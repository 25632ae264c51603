"""Record MXNet 1.9.1 model-zoo parameter names and shapes (run in the MXNet venv).

    /opt/mxvenv/bin/python tools/gen_modelzoo_fixtures.py

Writes tests/fixtures/model_zoo/names.json: for each constructor, the collect_params() names in order
with their shapes after one forward pass, the block prefix, and the output shape.
"""
import json
import os

import mxnet as mx
from mxnet.gluon.model_zoo import vision

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'model_zoo')
MODELS = {
    'resnet18_v1': 224, 'resnet34_v1': 224, 'resnet50_v1': 224, 'resnet18_v2': 224, 'resnet50_v2': 224,
    'mobilenet1.0': 224, 'mobilenet0.25': 224, 'mobilenetv2_1.0': 224, 'mobilenetv2_0.25': 224,
    'squeezenet1.0': 224, 'squeezenet1.1': 224, 'densenet121': 224, 'vgg11': 224, 'vgg11_bn': 224,
    'alexnet': 224, 'inceptionv3': 299,
}
result = {}
for name, size in MODELS.items():
    with mx.name.NameManager():
        net = vision.get_model(name, classes=10)
    net.initialize()
    out = net(mx.nd.zeros((1, 3, size, size)))
    params = net.collect_params()
    result[name] = {'prefix': net.prefix, 'size': size, 'out_shape': list(out.shape),
                    'params': [[k, list(v.shape)] for k, v in params.items()],
                    'save_keys': list(net._collect_params_with_prefix().keys())}
    print(name, len(result[name]['params']))
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, 'names.json'), 'w') as f:
    json.dump(result, f)
