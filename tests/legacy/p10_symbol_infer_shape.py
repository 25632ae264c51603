import minigluon as mx

data = mx.sym.var('data')
fc1 = mx.sym.FullyConnected(data, num_hidden=16, name='fc1')
act = mx.sym.Activation(fc1, act_type='relu', name='relu1')
conv_in = mx.sym.Reshape(act, shape=(0, 1, 4, 4))
conv = mx.sym.Convolution(conv_in, kernel=(3, 3), num_filter=2, pad=(1, 1), name='conv')
bn = mx.sym.BatchNorm(conv, name='bn')
flat = mx.sym.Flatten(bn)
out = mx.sym.FullyConnected(flat, num_hidden=3, name='fc2') * 2 + 1
print(out.list_arguments())
print(out.list_auxiliary_states())
print(out.list_outputs())
arg_shapes, out_shapes, aux_shapes = out.infer_shape(data=(5, 7))
print(arg_shapes)
print(out_shapes)
print(aux_shapes)
print(out.tojson() == mx.sym.load_json(out.tojson()).tojson())
print(out.get_internals().list_outputs()[-4:])
