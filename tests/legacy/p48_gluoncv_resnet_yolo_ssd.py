# GluonCV 0.x model code, shrunk: ResNetV1b (BasicBlockV1b / BottleneckV1b with norm_layer and
# norm_kwargs, last_gamma, avg_down downsampling, frozen BatchNorm via use_global_stats), an FPN
# top-down path (UpSampling nearest + slice_like), MobileNet's depthwise blocks with ReLU6 by
# clip, YOLOv3 (darknet _conv2d / DarknetBasicBlockV3, YOLODetectionBlockV3, transitions with the
# repeat-based upsample, YOLOOutputV3 decoding with slice_axis / broadcast_add / broadcast_mul over
# anchor and offset Constants cut by slice_like, tile/arange class ids and box_nms at inference,
# the dynamic ignore target from a batch IoU made of split and broadcast_minimum/maximum, the
# target merge by where, YOLOV3Loss with shape_array normalisers), SSD heads (transpose + flatten
# + concat of per-scale predictions, MultiBoxPrior anchors), SSDMultiBoxLoss with hard negative
# mining by a double argsort, and FocalLoss. Targets are made with NumPy. The first pass that
# settles deferred shapes runs in train mode: after an inference-mode pass MXNet 1.9.1's MKL-DNN
# build keeps convolution weights in its own layout and refuses set_data on them.
import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.nn import BatchNorm
from _common import set_weights, show

rng = np.random.RandomState(0)


# ---------------------------------------------------------------- ResNetV1b + FPN
class BasicBlockV1b(gluon.HybridBlock):
    expansion = 1

    def __init__(self, planes, strides=1, dilation=1, downsample=None, previous_dilation=1,
                 norm_layer=None, norm_kwargs=None, **kwargs):
        super(BasicBlockV1b, self).__init__()
        norm_kwargs = norm_kwargs if norm_kwargs is not None else {}
        self.conv1 = nn.Conv2D(channels=planes, kernel_size=3, strides=strides, padding=dilation,
                               dilation=dilation, use_bias=False)
        self.bn1 = norm_layer(in_channels=planes, **norm_kwargs)
        self.relu1 = nn.Activation('relu')
        self.conv2 = nn.Conv2D(channels=planes, kernel_size=3, strides=1,
                               padding=previous_dilation, dilation=previous_dilation,
                               use_bias=False)
        self.bn2 = norm_layer(in_channels=planes, **norm_kwargs)
        self.relu2 = nn.Activation('relu')
        self.downsample = downsample

    def hybrid_forward(self, F, x):
        residual = x
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        return self.relu2(out + residual)


class BottleneckV1b(gluon.HybridBlock):
    expansion = 4

    def __init__(self, planes, strides=1, dilation=1, downsample=None, previous_dilation=1,
                 norm_layer=None, norm_kwargs=None, last_gamma=False, **kwargs):
        super(BottleneckV1b, self).__init__()
        norm_kwargs = norm_kwargs if norm_kwargs is not None else {}
        self.conv1 = nn.Conv2D(channels=planes, kernel_size=1, use_bias=False)
        self.bn1 = norm_layer(in_channels=planes, **norm_kwargs)
        self.relu1 = nn.Activation('relu')
        self.conv2 = nn.Conv2D(channels=planes, kernel_size=3, strides=strides,
                               padding=dilation, dilation=dilation, use_bias=False)
        self.bn2 = norm_layer(in_channels=planes, **norm_kwargs)
        self.relu2 = nn.Activation('relu')
        self.conv3 = nn.Conv2D(channels=planes * 4, kernel_size=1, use_bias=False)
        if not last_gamma:
            self.bn3 = norm_layer(in_channels=planes * 4, **norm_kwargs)
        else:
            self.bn3 = norm_layer(in_channels=planes * 4, gamma_initializer='zeros',
                                  **norm_kwargs)
        self.relu3 = nn.Activation('relu')
        self.downsample = downsample

    def hybrid_forward(self, F, x):
        residual = x
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        return self.relu3(out + residual)


class ResNetV1b(gluon.HybridBlock):
    def __init__(self, block, layers, classes=5, norm_layer=BatchNorm, norm_kwargs=None,
                 last_gamma=False, avg_down=False, **kwargs):
        self.inplanes = 4
        super(ResNetV1b, self).__init__()
        self.norm_kwargs = norm_kwargs if norm_kwargs is not None else {}
        with self.name_scope():
            self.conv1 = nn.Conv2D(channels=4, kernel_size=3, strides=2, padding=1,
                                   use_bias=False)
            self.bn1 = norm_layer(in_channels=4, **self.norm_kwargs)
            self.relu = nn.Activation('relu')
            self.maxpool = nn.MaxPool2D(pool_size=3, strides=2, padding=1)
            self.layer1 = self._make_layer(1, block, 4, layers[0], avg_down=avg_down,
                                           norm_layer=norm_layer, last_gamma=last_gamma)
            self.layer2 = self._make_layer(2, block, 8, layers[1], strides=2, avg_down=avg_down,
                                           norm_layer=norm_layer, last_gamma=last_gamma)
            self.avgpool = nn.GlobalAvgPool2D()
            self.flat = nn.Flatten()
            self.fc = nn.Dense(in_units=8 * block.expansion, units=classes)

    def _make_layer(self, stage_index, block, planes, blocks, strides=1, avg_down=False,
                    norm_layer=None, last_gamma=False):
        downsample = None
        if strides != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.HybridSequential(prefix='down%d_' % stage_index)
            with downsample.name_scope():
                if avg_down:
                    downsample.add(nn.AvgPool2D(pool_size=strides, strides=strides,
                                                ceil_mode=True, count_include_pad=False))
                    downsample.add(nn.Conv2D(channels=planes * block.expansion, kernel_size=1,
                                             strides=1, use_bias=False))
                else:
                    downsample.add(nn.Conv2D(channels=planes * block.expansion, kernel_size=1,
                                             strides=strides, use_bias=False))
                downsample.add(norm_layer(in_channels=planes * block.expansion,
                                          **self.norm_kwargs))
        layers = nn.HybridSequential(prefix='layers%d_' % stage_index)
        with layers.name_scope():
            layers.add(block(planes, strides, downsample=downsample, norm_layer=norm_layer,
                             norm_kwargs=self.norm_kwargs, last_gamma=last_gamma))
            self.inplanes = planes * block.expansion
            for _ in range(1, blocks):
                layers.add(block(planes, norm_layer=norm_layer, norm_kwargs=self.norm_kwargs,
                                 last_gamma=last_gamma))
        return layers

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        c2 = self.layer1(x)
        return c2, self.layer2(c2)

    def hybrid_forward(self, F, x):
        c2, c3 = self.features(x)
        return self.fc(self.flat(self.avgpool(c3)))


x = nd.array(rng.uniform(-1, 1, (2, 3, 16, 16)))
y = nd.array([1, 3])
for block, layers, kw in ((BasicBlockV1b, [1, 2], {}),
                          (BottleneckV1b, [1, 1], {'last_gamma': True, 'avg_down': True})):
    net = ResNetV1b(block, layers, norm_kwargs={'use_global_stats': True}, **kw)
    net.initialize(mx.init.Xavier(magnitude=2))
    with autograd.train_mode():
        net(x)
    if kw.get('last_gamma'):
        show('last_gamma bn3 gamma', net.layer1[0].bn3.gamma.data())
    set_weights(net, 48, 0.3)
    names = sorted(net.collect_params().keys())
    print(len(names), names[:3], names[-3:])
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), 'nag', {'learning_rate': 0.1, 'momentum': 0.9,
                                                          'wd': 1e-4})
    for step in range(3):
        with autograd.record():
            l = gluon.loss.SoftmaxCrossEntropyLoss()(net(x), y)
        l.backward()
        trainer.step(2)
        print('%s step %d loss %.6f' % (block.__name__, step, l.mean().asscalar()))
    show('%s conv1 grad norm' % block.__name__, net.conv1.weight.grad().norm())
    show('%s fc grad' % block.__name__, net.fc.weight.grad())
    show('%s running_var (frozen)' % block.__name__, net.bn1.running_var.data())


class FPNTopDown(gluon.HybridBlock):
    def __init__(self, channels=4, **kwargs):
        super(FPNTopDown, self).__init__(**kwargs)
        with self.name_scope():
            self.lateral2 = nn.Conv2D(channels, 1, prefix='P2_conv_lat_')
            self.lateral3 = nn.Conv2D(channels, 1, prefix='P3_conv_lat_')
            self.smooth2 = nn.Conv2D(channels, 3, padding=1, prefix='P2_conv1_')

    def hybrid_forward(self, F, c2, c3):
        p3 = self.lateral3(c3)
        up = F.UpSampling(p3, scale=2, sample_type='nearest')
        lat = self.lateral2(c2)
        p2 = self.smooth2(F.ElementWiseSum(F.slice_like(up, lat, axes=(2, 3)), lat))
        return p2, p3


c2, c3 = net.features(x)
fpn = FPNTopDown()
fpn.initialize()
with autograd.train_mode():
    fpn(c2, c3)
set_weights(fpn, 5, 0.3)
p2, p3 = fpn(c2, c3)
print('fpn', p2.shape, p3.shape)
show('fpn p2', p2)


# ---------------------------------------------------------------- MobileNet blocks
class RELU6(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return F.clip(x, 0, 6, name='relu6')


def _add_conv(out, channels=1, kernel=1, stride=1, pad=0, num_group=1, active=True,
              relu6=False, norm_layer=BatchNorm, norm_kwargs=None):
    out.add(nn.Conv2D(channels, kernel, stride, pad, groups=num_group, use_bias=False))
    out.add(norm_layer(scale=True, **({} if norm_kwargs is None else norm_kwargs)))
    if active:
        out.add(RELU6() if relu6 else nn.Activation('relu'))


def _add_conv_dw(out, dw_channels, channels, stride, relu6=False, norm_layer=BatchNorm,
                 norm_kwargs=None):
    _add_conv(out, channels=dw_channels, kernel=3, stride=stride, pad=1, num_group=dw_channels,
              relu6=relu6, norm_layer=norm_layer, norm_kwargs=norm_kwargs)
    _add_conv(out, channels=channels, relu6=relu6, norm_layer=norm_layer,
              norm_kwargs=norm_kwargs)


class LinearBottleneck(gluon.HybridBlock):
    def __init__(self, in_channels, channels, t, stride, norm_layer=BatchNorm, norm_kwargs=None,
                 **kwargs):
        super(LinearBottleneck, self).__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        with self.name_scope():
            self.out = nn.HybridSequential()
            _add_conv(self.out, in_channels * t, relu6=True, norm_layer=norm_layer,
                      norm_kwargs=norm_kwargs)
            _add_conv(self.out, in_channels * t, kernel=3, stride=stride, pad=1,
                      num_group=in_channels * t, relu6=True, norm_layer=norm_layer,
                      norm_kwargs=norm_kwargs)
            _add_conv(self.out, channels, active=False, relu6=True, norm_layer=norm_layer,
                      norm_kwargs=norm_kwargs)

    def hybrid_forward(self, F, x):
        out = self.out(x)
        return out + x if self.use_shortcut else out


mobile = nn.HybridSequential(prefix='mobilenet_')
with mobile.name_scope():
    _add_conv(mobile, channels=4, kernel=3, pad=1, stride=2, relu6=True)
    _add_conv_dw(mobile, dw_channels=4, channels=8, stride=1, relu6=True)
    mobile.add(LinearBottleneck(8, 8, t=2, stride=1))
    mobile.add(nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dense(3))
mobile.initialize()
with autograd.train_mode():
    mobile(x)
set_weights(mobile, 7, 0.5)
print([k for k in sorted(mobile.collect_params().keys()) if k.endswith('weight')][:4])
print('depthwise weight', mobile[3].weight.shape)
mobile.hybridize()
with autograd.record():
    out = mobile(x * 20)  # large enough that ReLU6 clips
    l = gluon.loss.SoftmaxCrossEntropyLoss()(out, nd.array([0, 2]))
l.backward()
show('mobilenet train loss', l)
show('mobilenet depthwise grad', mobile[3].weight.grad())


# ---------------------------------------------------------------- YOLOv3
def _conv2d(channel, kernel, padding, stride, norm_layer=BatchNorm, norm_kwargs=None):
    cell = nn.HybridSequential(prefix='')
    cell.add(nn.Conv2D(channel, kernel_size=kernel, strides=stride, padding=padding,
                       use_bias=False))
    cell.add(norm_layer(epsilon=1e-5, momentum=0.9, **({} if norm_kwargs is None
                                                        else norm_kwargs)))
    cell.add(nn.LeakyReLU(0.1))
    return cell


class DarknetBasicBlockV3(gluon.HybridBlock):
    def __init__(self, channel, norm_layer=BatchNorm, norm_kwargs=None, **kwargs):
        super(DarknetBasicBlockV3, self).__init__(**kwargs)
        self.body = nn.HybridSequential(prefix='')
        self.body.add(_conv2d(channel, 1, 0, 1, norm_layer=norm_layer, norm_kwargs=norm_kwargs))
        self.body.add(_conv2d(channel * 2, 3, 1, 1, norm_layer=norm_layer,
                              norm_kwargs=norm_kwargs))

    def hybrid_forward(self, F, x, *args):
        return self.body(x) + x


def _upsample(x, stride=2):
    return x.repeat(axis=-1, repeats=stride).repeat(axis=-2, repeats=stride)


class YOLOOutputV3(gluon.HybridBlock):
    def __init__(self, index, num_class, anchors, stride, alloc_size=(16, 16), **kwargs):
        super(YOLOOutputV3, self).__init__(**kwargs)
        anchors = np.array(anchors).astype('float32')
        self._classes, self._num_pred = num_class, 1 + 4 + num_class
        self._num_anchors, self._stride = anchors.size // 2, stride
        with self.name_scope():
            self.prediction = nn.Conv2D(self._num_pred * self._num_anchors, kernel_size=1,
                                        padding=0, strides=1)
            self.anchors = self.params.get_constant('anchor_%d' % index,
                                                    anchors.reshape(1, 1, -1, 2))
            grid_x, grid_y = np.meshgrid(np.arange(alloc_size[1]), np.arange(alloc_size[0]))
            offsets = np.concatenate((grid_x[:, :, np.newaxis], grid_y[:, :, np.newaxis]), axis=-1)
            offsets = np.expand_dims(np.expand_dims(offsets, axis=0), axis=0)
            self.offsets = self.params.get_constant('offset_%d' % index, offsets)

    def hybrid_forward(self, F, x, anchors, offsets):
        pred = self.prediction(x).reshape((0, self._num_anchors * self._num_pred, -1))
        pred = pred.transpose(axes=(0, 2, 1)).reshape((0, -1, self._num_anchors, self._num_pred))
        raw_box_centers = pred.slice_axis(axis=-1, begin=0, end=2)
        raw_box_scales = pred.slice_axis(axis=-1, begin=2, end=4)
        objness = pred.slice_axis(axis=-1, begin=4, end=5)
        class_pred = pred.slice_axis(axis=-1, begin=5, end=None)
        offsets = F.slice_like(offsets, x * 0, axes=(2, 3)).reshape((1, -1, 1, 2))
        box_centers = F.broadcast_add(F.sigmoid(raw_box_centers), offsets) * self._stride
        box_scales = F.broadcast_mul(F.exp(raw_box_scales), anchors)
        confidence = F.sigmoid(objness)
        class_score = F.broadcast_mul(F.sigmoid(class_pred), confidence)
        wh = box_scales / 2.0
        bbox = F.concat(box_centers - wh, box_centers + wh, dim=-1)
        if autograd.is_training():
            return (bbox.reshape((0, -1, 4)), raw_box_centers, raw_box_scales, objness,
                    class_pred, anchors, offsets)
        bboxes = F.tile(bbox, reps=(self._classes, 1, 1, 1, 1))
        scores = F.transpose(class_score, axes=(3, 0, 1, 2)).expand_dims(axis=-1)
        ids = F.broadcast_add(scores * 0, F.arange(0, self._classes).reshape((0, 1, 1, 1, 1)))
        detections = F.concat(ids, scores, bboxes, dim=-1)
        return F.reshape(detections.transpose(axes=(1, 0, 2, 3, 4)), (0, -1, 6))


class YOLODetectionBlockV3(gluon.HybridBlock):
    def __init__(self, channel, norm_layer=BatchNorm, norm_kwargs=None, **kwargs):
        super(YOLODetectionBlockV3, self).__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            self.body.add(_conv2d(channel, 1, 0, 1, norm_layer=norm_layer,
                                  norm_kwargs=norm_kwargs))
            self.body.add(_conv2d(channel * 2, 3, 1, 1, norm_layer=norm_layer,
                                  norm_kwargs=norm_kwargs))
            self.body.add(_conv2d(channel, 1, 0, 1, norm_layer=norm_layer,
                                  norm_kwargs=norm_kwargs))
            self.tip = _conv2d(channel * 2, 3, 1, 1, norm_layer=norm_layer,
                               norm_kwargs=norm_kwargs)

    def hybrid_forward(self, F, x):
        route = self.body(x)
        return route, self.tip(route)


class BBoxBatchIOU(gluon.HybridBlock):
    def hybrid_forward(self, F, a, b):
        al, at, ar, ab = F.split(a, axis=-1, num_outputs=4)
        bl, bt, br, bb = F.split(b, axis=-1, num_outputs=4)
        left = F.broadcast_maximum(al, bl.transpose(axes=(0, 2, 1)))
        right = F.broadcast_minimum(ar, br.transpose(axes=(0, 2, 1)))
        top = F.broadcast_maximum(at, bt.transpose(axes=(0, 2, 1)))
        bot = F.broadcast_minimum(ab, bb.transpose(axes=(0, 2, 1)))
        iw = F.clip(right - left, a_min=0, a_max=1e5)
        ih = F.clip(bot - top, a_min=0, a_max=1e5)
        i = iw * ih
        area_a = (ar - al) * (ab - at)
        area_b = (br - bl) * (bb - bt)
        union = F.broadcast_add(area_a, area_b.transpose(axes=(0, 2, 1)))
        return i / (union - i)


class YOLOV3Loss(gluon.loss.Loss):
    def __init__(self, batch_axis=0, weight=None, **kwargs):
        super(YOLOV3Loss, self).__init__(weight, batch_axis, **kwargs)
        self._sigmoid_ce = gluon.loss.SigmoidBinaryCrossEntropyLoss(from_sigmoid=False)
        self._l1_loss = gluon.loss.L1Loss()

    def hybrid_forward(self, F, objness, box_centers, box_scales, cls_preds, objness_t,
                       center_t, scale_t, weight_t, class_t, class_mask):
        denorm = F.cast(F.shape_array(objness_t).slice_axis(axis=0, begin=1, end=None).prod(),
                        'float32')
        weight_t = F.broadcast_mul(weight_t, objness_t)
        hard_objness_t = F.where(objness_t > 0, F.ones_like(objness_t), objness_t)
        new_objness_mask = F.where(objness_t > 0, objness_t, objness_t >= 0)
        obj_loss = F.broadcast_mul(self._sigmoid_ce(objness, hard_objness_t, new_objness_mask),
                                   denorm)
        center_loss = F.broadcast_mul(self._sigmoid_ce(box_centers, center_t, weight_t),
                                      denorm * 2)
        scale_loss = F.broadcast_mul(self._l1_loss(box_scales, scale_t, weight_t), denorm * 2)
        denorm_class = F.cast(F.shape_array(class_t).slice_axis(axis=0, begin=1, end=None)
                              .prod(), 'float32')
        class_mask = F.broadcast_mul(class_mask, objness_t)
        cls_loss = F.broadcast_mul(self._sigmoid_ce(cls_preds, class_t, class_mask),
                                   denorm_class)
        return obj_loss, center_loss, scale_loss, cls_loss


class YOLOV3(gluon.HybridBlock):
    def __init__(self, stages, channels, anchors, strides, classes, nms_thresh=0.45,
                 nms_topk=20, post_nms=5, ignore_iou_thresh=0.7, norm_layer=BatchNorm,
                 norm_kwargs=None, **kwargs):
        super(YOLOV3, self).__init__(**kwargs)
        self._classes, self.nms_thresh = classes, nms_thresh
        self.nms_topk, self.post_nms = nms_topk, post_nms
        self._ignore_iou_thresh = ignore_iou_thresh
        self._batch_iou = BBoxBatchIOU()
        self._loss = YOLOV3Loss()
        with self.name_scope():
            self.stages = nn.HybridSequential()
            self.transitions = nn.HybridSequential()
            self.yolo_blocks = nn.HybridSequential()
            self.yolo_outputs = nn.HybridSequential()
            for i, stage, channel, anchor, stride in zip(range(len(stages)), stages, channels,
                                                         anchors[::-1], strides[::-1]):
                self.stages.add(stage)
                self.yolo_blocks.add(YOLODetectionBlockV3(channel, norm_layer=norm_layer,
                                                          norm_kwargs=norm_kwargs))
                self.yolo_outputs.add(YOLOOutputV3(i, len(classes), anchor, stride))
                if i > 0:
                    self.transitions.add(_conv2d(channel, 1, 0, 1, norm_layer=norm_layer,
                                                 norm_kwargs=norm_kwargs))

    def hybrid_forward(self, F, x, *args):
        all_box_centers, all_box_scales, all_objectness, all_class_pred = [], [], [], []
        all_detections, all_preds, routes = [], [], []
        for stage in self.stages:
            x = stage(x)
            routes.append(x)
        for i, block, output in zip(range(len(routes)), self.yolo_blocks, self.yolo_outputs):
            x, tip = block(x)
            if autograd.is_training():
                dets, box_centers, box_scales, objness, class_pred, anchors, offsets = output(tip)
                all_box_centers.append(box_centers.reshape((0, -3, -1)))
                all_box_scales.append(box_scales.reshape((0, -3, -1)))
                all_objectness.append(objness.reshape((0, -3, -1)))
                all_class_pred.append(class_pred.reshape((0, -3, -1)))
                all_preds.append(dets)
            else:
                all_detections.append(output(tip))
            if i >= len(routes) - 1:
                break
            x = self.transitions[i](x)
            upsample = _upsample(x, stride=2)
            route_now = routes[::-1][i + 1]
            x = F.concat(F.slice_like(upsample, route_now * 0, axes=(2, 3)), route_now, dim=1)
        if autograd.is_training():
            box_preds = F.concat(*all_preds, dim=1)
            gt_boxes, obj_t, centers_t, scales_t, weights_t, clas_t = args
            with autograd.pause():
                ious = self._batch_iou(box_preds, gt_boxes)
                ignore_t = (ious.max(axis=-1, keepdims=True) > self._ignore_iou_thresh) * -1
                mask = obj_t > 0
                objness_t = F.where(mask, obj_t, ignore_t)
                class_mask = mask.tile(reps=(len(self._classes),))
            box_centers = F.concat(*all_box_centers, dim=1)
            box_scales = F.concat(*all_box_scales, dim=1)
            objness = F.concat(*all_objectness, dim=1)
            class_pred = F.concat(*all_class_pred, dim=1)
            return self._loss(objness, box_centers, box_scales, class_pred, objness_t,
                              centers_t, scales_t, weights_t, clas_t, class_mask)
        result = F.concat(*all_detections, dim=1)
        if 0 < self.nms_thresh < 1:
            result = F.contrib.box_nms(result, overlap_thresh=self.nms_thresh, valid_thresh=0.01,
                                       topk=self.nms_topk, id_index=0, score_index=1,
                                       coord_start=2, force_suppress=False)
            if self.post_nms > 0:
                result = result.slice_axis(axis=1, begin=0, end=self.post_nms)
        ids = result.slice_axis(axis=-1, begin=0, end=1)
        scores = result.slice_axis(axis=-1, begin=1, end=2)
        bboxes = result.slice_axis(axis=-1, begin=2, end=None)
        return ids, scores, bboxes


frozen = {'use_global_stats': True}
stage1 = nn.HybridSequential()
stage1.add(_conv2d(4, 3, 1, 2, norm_kwargs=frozen), DarknetBasicBlockV3(2, norm_kwargs=frozen))
stage2 = nn.HybridSequential()
stage2.add(_conv2d(8, 3, 1, 2, norm_kwargs=frozen), DarknetBasicBlockV3(4, norm_kwargs=frozen))
yolo = YOLOV3([stage1, stage2], [4, 2], [[2, 3, 4, 5], [6, 6, 9, 8]], [2, 4], ['a', 'b'],
              norm_kwargs=frozen)
yolo.initialize()
img = nd.array(rng.uniform(0, 1, (2, 3, 16, 16)))
n_anchor = 4 * 4 * 2 + 8 * 8 * 2
obj_t = np.zeros((2, n_anchor, 1), 'float32')
obj_t[0, [1, 9, 70]] = 1
obj_t[1, [4, 20, 100]] = 1
centers_t = rng.uniform(0, 1, (2, n_anchor, 2)).astype('float32')
scales_t = rng.uniform(-1, 1, (2, n_anchor, 2)).astype('float32')
weights_t = rng.uniform(0.5, 2, (2, n_anchor, 2)).astype('float32')
clas_t = np.zeros((2, n_anchor, 2), 'float32')
clas_t[:, :, 0] = obj_t[:, :, 0]
gt_boxes = nd.array([[[0, 0, 6, 6], [8, 8, 16, 14]], [[2, 2, 10, 12], [-1, -1, -1, -1]]])
targets = [gt_boxes] + [nd.array(t) for t in (obj_t, centers_t, scales_t, weights_t, clas_t)]
with autograd.train_mode():
    yolo(img, *targets)
set_weights(yolo, 9, 0.4)
print('yolo params', len(yolo.collect_params().keys()),
      sorted(k for k in yolo.collect_params().keys() if 'anchor' in k or 'offset' in k))
yolo.hybridize()
yolo_trainer = gluon.Trainer(yolo.collect_params(), 'sgd', {'learning_rate': 0.01,
                                                            'momentum': 0.9, 'wd': 5e-4})
names = ['ObjLoss', 'BoxCenterLoss', 'BoxScaleLoss', 'ClassLoss']
for step in range(3):
    with autograd.record():
        losses = yolo(img, *targets)
        autograd.backward(losses)
    yolo_trainer.step(2)
    print('yolo step %d' % step, ' '.join('%s=%.6f' % (n, l.mean().asscalar())
                                          for n, l in zip(names, losses)))
show('yolo prediction grad', yolo.yolo_outputs[0].prediction.weight.grad())
yolo.hybridize()  # a new graph: MXNet 1.9.1 refuses a call whose inputs differ from the cached one
ids, scores, bboxes = yolo(img)
print('yolo detections', ids.shape, scores.shape, bboxes.shape)
show('yolo ids', ids[0])
show('yolo scores', scores[0])
show('yolo boxes', bboxes[0])


# ---------------------------------------------------------------- SSD heads and losses
class ConvPredictor(gluon.HybridBlock):
    def __init__(self, num_channel, kernel=(3, 3), pad=(1, 1), **kwargs):
        super(ConvPredictor, self).__init__(**kwargs)
        with self.name_scope():
            self.predictor = nn.Conv2D(num_channel, kernel, strides=(1, 1), padding=pad,
                                       use_bias=True)

    def hybrid_forward(self, F, x):
        return self.predictor(x)


class SSDHead(gluon.HybridBlock):
    def __init__(self, sizes, ratios, classes, **kwargs):
        super(SSDHead, self).__init__(**kwargs)
        self.num_classes, self.sizes, self.ratios = len(classes) + 1, sizes, ratios
        with self.name_scope():
            self.class_predictors = nn.HybridSequential()
            self.box_predictors = nn.HybridSequential()
            for s, r in zip(sizes, ratios):
                num_anchors = len(s) + len(r) - 1
                self.class_predictors.add(ConvPredictor(num_anchors * self.num_classes))
                self.box_predictors.add(ConvPredictor(num_anchors * 4))

    def hybrid_forward(self, F, *features):
        cls_preds = [F.flatten(F.transpose(cp(feat), (0, 2, 3, 1)))
                     for feat, cp in zip(features, self.class_predictors)]
        box_preds = [F.flatten(F.transpose(bp(feat), (0, 2, 3, 1)))
                     for feat, bp in zip(features, self.box_predictors)]
        anchors = [F.reshape(F.contrib.MultiBoxPrior(feat, sizes=s, ratios=r), (1, -1))
                   for feat, s, r in zip(features, self.sizes, self.ratios)]
        cls_preds = F.concat(*cls_preds, dim=1).reshape((0, -1, self.num_classes))
        box_preds = F.concat(*box_preds, dim=1).reshape((0, -1, 4))
        anchors = F.concat(*anchors, dim=1).reshape((1, -1, 4))
        return cls_preds, box_preds, anchors


def _reshape_like(F, x, y):
    return x.reshape(y.shape) if F is nd else F.reshape_like(x, y)


class SSDMultiBoxLoss(gluon.Block):
    def __init__(self, negative_mining_ratio=3, rho=1.0, lambd=1.0, min_hard_negatives=0,
                 **kwargs):
        super(SSDMultiBoxLoss, self).__init__(**kwargs)
        self._negative_mining_ratio = max(0, negative_mining_ratio)
        self._rho, self._lambd = rho, lambd
        self._min_hard_negatives = max(0, min_hard_negatives)

    def forward(self, cls_pred, box_pred, cls_target, box_target):
        cls_pred, box_pred, cls_target, box_target = [[v] for v in (cls_pred, box_pred,
                                                                    cls_target, box_target)]
        num_pos = [(ct > 0).sum() for ct in cls_target]
        num_pos_all = sum([p.asscalar() for p in num_pos])
        cls_losses, box_losses, sum_losses = [], [], []
        for cp, bp, ct, bt in zip(*[cls_pred, box_pred, cls_target, box_target]):
            pred = nd.log_softmax(cp, axis=-1)
            pos = ct > 0
            cls_loss = -nd.pick(pred, ct, axis=-1, keepdims=False)
            rank = (cls_loss * (pos - 1)).argsort(axis=1).argsort(axis=1)
            hard_negative = rank < nd.maximum(self._min_hard_negatives, pos.sum(axis=1)
                                              * self._negative_mining_ratio).expand_dims(-1)
            cls_loss = nd.where(pos + hard_negative > 0, cls_loss, nd.zeros_like(cls_loss))
            cls_losses.append(nd.sum(cls_loss, axis=0, exclude=True) / max(1., num_pos_all))
            bp = _reshape_like(nd, bp, bt)
            box_loss = nd.abs(bp - bt)
            box_loss = nd.where(box_loss > self._rho, box_loss - 0.5 * self._rho,
                                (0.5 / self._rho) * nd.square(box_loss))
            box_loss = box_loss * pos.expand_dims(axis=-1)
            box_losses.append(nd.sum(box_loss, axis=0, exclude=True) / max(1., num_pos_all))
            sum_losses.append(cls_losses[-1] + self._lambd * box_losses[-1])
        return sum_losses, cls_losses, box_losses


class FocalLoss(gluon.loss.Loss):
    def __init__(self, axis=-1, alpha=0.25, gamma=2, sparse_label=True, from_logits=False,
                 batch_axis=0, weight=None, num_class=None, eps=1e-12, size_average=True,
                 **kwargs):
        super(FocalLoss, self).__init__(weight, batch_axis, **kwargs)
        self._axis, self._alpha, self._gamma = axis, alpha, gamma
        self._sparse_label, self._from_logits = sparse_label, from_logits
        self._num_class, self._eps, self._size_average = num_class, eps, size_average

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        if not self._from_logits:
            pred = F.sigmoid(pred)
        one_hot = F.one_hot(label, self._num_class) if self._sparse_label else label > 0
        pt = F.where(one_hot, pred, 1 - pred)
        t = F.ones_like(one_hot)
        alpha = F.where(one_hot, self._alpha * t, (1 - self._alpha) * t)
        loss = -alpha * ((1 - pt) ** self._gamma) * F.log(F.minimum(pt + self._eps, 1))
        loss = gluon.loss._apply_weighting(F, loss, self._weight, sample_weight)
        if self._size_average:
            return F.mean(loss, axis=self._batch_axis, exclude=True)
        return F.sum(loss, axis=self._batch_axis, exclude=True)


head = SSDHead([[0.2, 0.3], [0.5, 0.7]], [[1, 2], [1, 2, 0.5]], ['a', 'b'])
head.initialize()
feats = [p2, p3]
with autograd.train_mode():
    head(*feats)
set_weights(head, 10, 0.3)
head.hybridize()
cls_preds, box_preds, anchors = head(*feats)
print('ssd', cls_preds.shape, box_preds.shape, anchors.shape)
show('ssd anchors', anchors[0, 40:43])
n = cls_preds.shape[1]
cls_t = np.zeros((2, n), 'float32')
cls_t[0, [3, 17, 40]] = [1, 2, 1]
cls_t[1, [8, 50]] = [2, 2]
box_t = nd.array(rng.uniform(-2, 2, (2, n, 4)))
cls_t = nd.array(cls_t)
ssd_loss = SSDMultiBoxLoss()
for p in head.collect_params().values():
    p.zero_grad()
with autograd.record():
    cls_preds, box_preds, _ = head(*feats)
    sum_loss, cls_loss, box_loss = ssd_loss(cls_preds, box_preds, cls_t, box_t)
autograd.backward(sum_loss)
show('ssd sum loss', sum_loss[0])
show('ssd cls loss', cls_loss[0])
show('ssd box loss', box_loss[0])
show('ssd class predictor grad', head.class_predictors[0].predictor.weight.grad())
focal = FocalLoss(num_class=3)
focal.hybridize()
cp = cls_preds.detach()
cp.attach_grad()
with autograd.record():
    fl = focal(cp, cls_t, nd.array(rng.uniform(0.5, 1, (2, n, 1))))
fl.backward()
show('focal loss', fl)
show('focal grad', cp.grad[0, :4])
