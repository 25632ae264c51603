# Three kinds of MXNet 1.x Gluon code found in the wild, shrunk: the Gluon recommender of the
# SageMaker / MXNet examples (an MFBlock HybridBlock with name_scope, user and item nn.Embedding
# layers, Dense + Dropout towers and F.sum of their product, Xavier(magnitude=60), hybridize, SGD
# with momentum and wd, a DataLoader with last_batch='rollover', mx.metric.MSE, save_params /
# load_params(path, ctx) into a fresh block, scoring users and items), the Kaggle house-prices
# notebooks (standardized features, one-hot categories, the log-RMSE with nd.clip to [1, inf),
# K-fold cross-validation assembled with nd.concat, Adam with weight decay) and MXNet's
# example/adversary FGSM in Gluon (data.attach_grad, the gradient sign step, accuracy before
# and after). The ratings, houses and digits are small NumPy arrays; the loaders do not shuffle,
# Dropout is 0, and Xavier initialization is an initializer seeded by parameter name.
import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import data as gdata, loss as gloss, nn
from _common import named_uniform, show

rng = np.random.RandomState(53)
tmp = tempfile.mkdtemp()
ctx = mx.cpu()
SeededInit = named_uniform(mx, default_scale=0.3)

# ---------------------------------------------------------------- recommender
num_users, num_items = 12, 9
user_f, item_f = rng.normal(size=(num_users, 3)), rng.normal(size=(num_items, 3))
pairs = [(u, i) for u in range(num_users) for i in range(num_items) if rng.uniform() < 0.6]
ratings = [float(np.clip(np.round(3 + user_f[u].dot(item_f[i])), 1, 5)) for u, i in pairs]
users = np.array([p[0] for p in pairs], dtype=np.float32)
items = np.array([p[1] for p in pairs], dtype=np.float32)
print('ratings', len(ratings), 'mean %.4f' % np.mean(ratings))
n_train = len(ratings) - 10
batch_size = 16
train = gluon.data.ArrayDataset(nd.array(users[:n_train], dtype=np.float32),
                                nd.array(items[:n_train], dtype=np.float32),
                                nd.array(ratings[:n_train], dtype=np.float32))
test = gluon.data.ArrayDataset(nd.array(users[n_train:], dtype=np.float32),
                               nd.array(items[n_train:], dtype=np.float32),
                               nd.array(ratings[n_train:], dtype=np.float32))
train_iter = gluon.data.DataLoader(train, shuffle=False, batch_size=batch_size,
                                   last_batch='rollover')
test_iter = gluon.data.DataLoader(test, shuffle=False, batch_size=5, last_batch='rollover')
print('train batches', len(train_iter), 'test batches', len(test_iter))


class MFBlock(gluon.HybridBlock):
    def __init__(self, max_users, max_items, num_emb, dropout_p=0.5):
        super(MFBlock, self).__init__()
        self.max_users = max_users
        self.max_items = max_items
        self.dropout_p = dropout_p
        self.num_emb = num_emb
        with self.name_scope():
            self.user_embeddings = gluon.nn.Embedding(max_users, num_emb)
            self.item_embeddings = gluon.nn.Embedding(max_items, num_emb)
            self.dropout_user = gluon.nn.Dropout(dropout_p)
            self.dropout_item = gluon.nn.Dropout(dropout_p)
            self.dense_user = gluon.nn.Dense(num_emb, activation='relu')
            self.dense_item = gluon.nn.Dense(num_emb, activation='relu')

    def hybrid_forward(self, F, users, items):
        a = self.user_embeddings(users)
        a = self.dense_user(a)
        b = self.item_embeddings(items)
        b = self.dense_item(b)
        predictions = self.dropout_user(a) * self.dropout_item(b)
        predictions = F.sum(predictions, axis=1)
        return predictions


def eval_net(data, net, ctx, loss_function, batch_size):
    acc = mx.metric.MSE()
    for i, (user, item, label) in enumerate(data):
        user = user.as_in_context(ctx)
        item = item.as_in_context(ctx)
        label = label.as_in_context(ctx)
        predictions = net(user, item).reshape((batch_size, 1))
        acc.update(preds=[predictions], labels=[label])
    return acc.get()[1]


def execute(train_iter, test_iter, net, trainer, epochs, ctx):
    loss_function = gluon.loss.L2Loss()
    for e in range(epochs):
        print('epoch: {}'.format(e))
        for i, (user, item, label) in enumerate(train_iter):
            user = user.as_in_context(ctx)
            item = item.as_in_context(ctx)
            label = label.as_in_context(ctx)
            with mx.autograd.record():
                output = net(user, item)
                loss = loss_function(output, label)
            loss.backward()
            trainer.step(batch_size)
        print('EPOCH {}: MSE ON TRAINING and TEST: {:.5f}. {:.5f}'.format(
            e, eval_net(train_iter, net, ctx, loss_function, batch_size),
            eval_net(test_iter, net, ctx, loss_function, 5)))
    print('end of training')
    return net


net = MFBlock(max_users=num_users, max_items=num_items, num_emb=8, dropout_p=0.0)
net.collect_params().initialize(SeededInit(), ctx=ctx, force_reinit=True)
net.hybridize()
print(sorted(net.collect_params().keys()))
trainer = gluon.Trainer(net.collect_params(), 'sgd',
                        {'learning_rate': 0.05, 'wd': 1e-4, 'momentum': 0.9})
trained_net = execute(train_iter, test_iter, net, trainer, 3, ctx)

model_dir = os.path.join(tmp, 'model')
os.makedirs(model_dir)
trained_net.save_params('{}/model.params'.format(model_dir))
served = MFBlock(max_users=net.max_users, max_items=net.max_items, num_emb=net.num_emb,
                 dropout_p=net.dropout_p)
served.load_params('{}/model.params'.format(model_dir), ctx)
predictions = served(nd.array([0, 3, 11]).as_in_context(ctx), nd.array([1, 1, 8]).as_in_context(ctx))
show('served predictions', predictions)
show('trained predictions', trained_net(nd.array([0, 3, 11]), nd.array([1, 1, 8])))
scores = served(nd.array([2] * num_items), nd.arange(num_items))
print('top items for user 2', nd.topk(scores, k=3).asnumpy().astype('int64').tolist())

# ---------------------------------------------------------------- house prices, K-fold
n_houses, n_test = 40, 8
numeric = rng.normal(loc=[7, 1500, 3], scale=[2, 400, 1], size=(n_houses + n_test, 3))
category = rng.randint(0, 3, size=n_houses + n_test)
price = 20000 * numeric[:n_houses, 0] + 50 * numeric[:n_houses, 1] + 9000 * category[:n_houses]
price = price * np.exp(rng.normal(scale=0.1, size=n_houses))
numeric = (numeric - numeric.mean(axis=0)) / numeric.std(axis=0)
all_features = np.concatenate([numeric, np.eye(3)[category]], axis=1)
train_features = nd.array(all_features[:n_houses])
test_features = nd.array(all_features[n_houses:])
train_labels = nd.array(price).reshape((-1, 1))
print('features', train_features.shape, test_features.shape)

loss = gloss.L2Loss()


def get_net():
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(SeededInit())
    return net


def log_rmse(net, features, labels):
    clipped_preds = nd.clip(net(features), 1, float('inf'))
    rmse = nd.sqrt(2 * loss(clipped_preds.log(), labels.log()).mean())
    return rmse.asscalar()


def train_house(net, train_features, train_labels, test_features, test_labels, num_epochs,
                learning_rate, weight_decay, batch_size):
    train_ls, test_ls = [], []
    train_iter = gdata.DataLoader(gdata.ArrayDataset(train_features, train_labels), batch_size,
                                  shuffle=False)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {
        'learning_rate': learning_rate, 'wd': weight_decay})
    for epoch in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
        train_ls.append(log_rmse(net, train_features, train_labels))
        if test_labels is not None:
            test_ls.append(log_rmse(net, test_features, test_labels))
    return train_ls, test_ls


def get_k_fold_data(k, i, X, y):
    assert k > 1
    fold_size = X.shape[0] // k
    X_train, y_train = None, None
    for j in range(k):
        idx = slice(j * fold_size, (j + 1) * fold_size)
        X_part, y_part = X[idx, :], y[idx]
        if j == i:
            X_valid, y_valid = X_part, y_part
        elif X_train is None:
            X_train, y_train = X_part, y_part
        else:
            X_train = nd.concat(X_train, X_part, dim=0)
            y_train = nd.concat(y_train, y_part, dim=0)
    return X_train, y_train, X_valid, y_valid


def k_fold(k, X_train, y_train, num_epochs, learning_rate, weight_decay, batch_size):
    train_l_sum, valid_l_sum = 0, 0
    for i in range(k):
        data = get_k_fold_data(k, i, X_train, y_train)
        net = get_net()
        train_ls, valid_ls = train_house(net, *data, num_epochs, learning_rate, weight_decay,
                                         batch_size)
        train_l_sum += train_ls[-1]
        valid_l_sum += valid_ls[-1]
        print('fold %d, train rmse %f, valid rmse %f' % (i, train_ls[-1], valid_ls[-1]))
    return train_l_sum / k, valid_l_sum / k


k, num_epochs, lr, weight_decay, house_batch = 4, 5, 500, 0, 8
train_l, valid_l = k_fold(k, train_features, train_labels, num_epochs, lr, weight_decay,
                          house_batch)
print('%d-fold validation: avg train rmse %f, avg valid rmse %f' % (k, train_l, valid_l))
net = get_net()
train_ls, _ = train_house(net, train_features, train_labels, None, None, num_epochs, lr,
                          weight_decay, house_batch)
print('train rmse %f' % train_ls[-1])
preds = net(test_features).asnumpy()
print('predicted prices', ' '.join('%.1f' % p for p in preds.reshape(-1)[:4]))

# ---------------------------------------------------------------- adversary (FGSM)
digits = rng.uniform(size=(24, 1, 8, 8)).astype('float32')
digit_labels = (digits[:, 0, :4, :].mean(axis=(1, 2)) > digits[:, 0, 4:, :].mean(axis=(1, 2)))
digit_labels = digit_labels.astype('float32')
loader = gdata.DataLoader(gdata.ArrayDataset(digits, digit_labels), 8, shuffle=False)

net = nn.HybridSequential()
with net.name_scope():
    net.add(nn.Conv2D(channels=4, kernel_size=3, activation='relu'))
    net.add(nn.MaxPool2D(pool_size=2, strides=2))
    net.add(nn.Flatten())
    net.add(nn.Dense(16, activation='relu'))
    net.add(nn.Dense(2))
net.initialize(SeededInit(), ctx=ctx)
net.hybridize()
loss = gloss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.2, 'momentum': 0.9})
for epoch in range(4):
    train_loss = 0.0
    for data, label in loader:
        with autograd.record():
            output = net(data)
            L = loss(output, label)
        L.backward()
        trainer.step(data.shape[0])
        train_loss += nd.mean(L).asscalar()
    print('epoch %d, loss %.5f' % (epoch, train_loss / len(loader)))


def accuracy(net, X, y):
    return (net(X).argmax(axis=1) == y).mean().asscalar()


data, label = nd.array(digits), nd.array(digit_labels)
data.attach_grad()
with autograd.record():
    output = net(data)
    L = loss(output, label)
L.backward()
print('accuracy before attack %.4f' % accuracy(net, data, label))
data_perturbed = data + 0.15 * nd.sign(data.grad)
print('accuracy after attack %.4f' % accuracy(net, data_perturbed, label))
show('perturbation', (data_perturbed - data)[0, 0, 0])
print('loss before %.5f after %.5f' % (L.mean().asscalar(),
                                       loss(net(data_perturbed), label).mean().asscalar()))
