"""``mx.contrib.amp``: automatic mixed precision and dynamic loss scaling (MXNet 1.9.1
``mxnet.contrib.amp``); see :mod:`minigluon.contrib.amp.amp`."""
from minigluon.contrib.amp import amp, lists, loss_scaler
from minigluon.contrib.amp.amp import (
    convert_hybrid_block, convert_model, convert_symbol, init, init_trainer,
    list_conditional_fp32_ops, list_fp32_ops, list_loss_output_functions, list_lp16_fp32_ops,
    list_lp16_ops, list_lp16_use_fp32_params, list_widest_type_cast, scale_loss, unscale)

__all__ = ['amp', 'lists', 'loss_scaler', 'init', 'init_trainer', 'scale_loss', 'unscale',
           'convert_model', 'convert_hybrid_block', 'convert_symbol', 'list_lp16_ops',
           'list_fp32_ops', 'list_lp16_fp32_ops', 'list_conditional_fp32_ops',
           'list_widest_type_cast', 'list_loss_output_functions', 'list_lp16_use_fp32_params']
