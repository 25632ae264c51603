"""gluon.utils: split_data, split_and_load, clip_global_norm, check_sha1, replace_file, HookHandle."""
import hashlib

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, cpu, gluon, nd
from minigluon import utils
from minigluon.test_utils import assert_almost_equal


def test_split_data_even_and_uneven():
    x = nd.array(np.arange(24).reshape(6, 4))
    parts = utils.split_data(x, 3)
    assert [p.shape for p in parts] == [(2, 4)] * 3
    assert_almost_equal(parts[1], np.arange(24).reshape(6, 4)[2:4])
    parts = utils.split_data(x, 2, batch_axis=1)
    assert_almost_equal(parts[1], np.arange(24).reshape(6, 4)[:, 2:])
    parts = utils.split_data(x, 4, even_split=False)
    assert [p.shape[0] for p in parts] == [2, 2, 1, 1]     # MXNet: the first size % n get one more
    with pytest.raises(ValueError, match='evenly split'):
        utils.split_data(x, 4)
    assert [p.shape[0] for p in utils.split_data(nd.zeros((2, 1)), 3, even_split=False)] == [1, 1, 0]


def test_split_and_load_and_gradient_flows():
    parts = utils.split_and_load(np.ones((4, 2)), [cpu(0), cpu(0)])
    assert len(parts) == 2 and parts[0].context == cpu(0)
    x = nd.array(np.arange(4.0).reshape(4, 1))
    x.attach_grad()
    with autograd.record():
        a, b = utils.split_data(x, 2)
        y = a * 2 + b * 3
    y.backward()
    assert_almost_equal(x.grad, np.array([[2.], [2.], [3.], [3.]]))


def test_clip_global_norm():
    rng = np.random.RandomState(0)
    raw = [rng.normal(size=(3, 4)), rng.normal(size=(5,))]
    arrs = [nd.array(a) for a in raw]
    norm = np.sqrt(sum((a.astype(np.float32).astype(np.float64) ** 2).sum() for a in raw))
    got = utils.clip_global_norm(arrs, 1.0)
    # MXNet 1.9.1 returns a NumPy scalar of the arrays' dtype (numpy.float32 here), not a float
    assert type(got) is np.float32 and got == pytest.approx(norm, rel=1e-5)
    new_norm = np.sqrt(sum((a.asnumpy().astype(np.float64) ** 2).sum() for a in arrs))
    assert new_norm == pytest.approx(1.0, rel=1e-5)
    arrs = [nd.array([0.3, 0.4])]
    res = utils.clip_global_norm(arrs, 10.0, check_isfinite=False)     # under the limit: unchanged
    assert isinstance(res, nd.NDArray) and res.shape == (1,) and res.dtype == np.float32
    f64 = utils.clip_global_norm([nd.array([3.0, 4.0], dtype='float64')], 1.0)   # MXNet: crashes
    assert type(f64) is np.float64 and f64 == 5.0
    assert_almost_equal(arrs[0], np.array([0.3, 0.4]))
    with pytest.warns(UserWarning, match='nan or inf'):
        utils.clip_global_norm([nd.array([np.inf, 1.0])], 1.0)
    with pytest.raises(ValueError, match='non-empty'):
        utils.clip_global_norm([], 1.0)


def test_check_sha1(tmp_path):
    f = tmp_path / 'blob.bin'
    f.write_bytes(b'minigluon' * 1000)
    assert utils.check_sha1(str(f), hashlib.sha1(b'minigluon' * 1000).hexdigest())
    assert not utils.check_sha1(str(f), '0' * 40)


def test_replace_file_moves_over_an_existing_file_and_names_a_missing_source(tmp_path):
    src, dst = tmp_path / 'new.params', tmp_path / 'old.params'
    src.write_bytes(b'new')
    dst.write_bytes(b'old')
    gluon.utils.replace_file(str(src), str(dst))
    assert dst.read_bytes() == b'new' and not src.exists()
    with pytest.raises(FileNotFoundError, match='new.params') as err:
        gluon.utils.replace_file(str(src), str(dst))
    assert isinstance(err.value, mx.base.MXNetError)
    assert dst.read_bytes() == b'new'


def test_gluon_utils_exports_hook_handle_as_mxnet_does():
    net = gluon.nn.Dense(2)
    handle = net.register_forward_hook(lambda block, inputs, output: None)
    assert isinstance(handle, gluon.utils.HookHandle)


def test_download_returns_a_file_in_place_as_mxnet_and_never_reaches_the_network(tmp_path, monkeypatch):
    # MXNet 1.9.1's gluon.utils.download skips the download when the file exists (and matches
    # sha1_hash when one is given); file name: path, path/<url basename>, or <url basename>
    url = 'https://example.invalid/data/train.rec'
    (tmp_path / 'train.rec').write_bytes(b'records')
    digest = hashlib.sha1(b'records').hexdigest()
    assert utils.download(url, path=str(tmp_path)) == str(tmp_path / 'train.rec')
    assert utils.download(url, path=str(tmp_path / 'train.rec'), sha1_hash=digest) == str(tmp_path / 'train.rec')
    monkeypatch.chdir(tmp_path)
    assert gluon.utils.download(url) == 'train.rec'
    for kwargs, reason in [({'sha1_hash': '0' * 40}, 'its SHA-1 is not 0000'),
                           ({'overwrite': True}, 'overwrite=True'),
                           ({'path': str(tmp_path / 'other.rec')}, 'the file is missing')]:
        with pytest.raises(FileNotFoundError, match=r"^download: %s.*minigluon never downloads.*copy "
                                                    r"https://example.invalid/data/train.rec there" % reason) as err:
            utils.download(url, **kwargs)
        assert isinstance(err.value, RuntimeError)      # MXNet's failed download is a RuntimeError
    assert not (tmp_path / 'other.rec').exists()
    # MXNet asserts both: AssertionError (and ValueError here)
    with pytest.raises(AssertionError, match=r"download: cannot make a file name from url"):
        utils.download('https://example.invalid/data/')
    with pytest.raises(AssertionError, match=r"download: retries must be >= 0"):
        utils.download(url, retries=-1)
    with pytest.raises(ValueError, match=r"download: retries must be >= 0"):
        mx.test_utils.download(url, retries=-1)


def test_test_utils_download_returns_a_file_in_place_as_mxnet(tmp_path):
    # MXNet 1.9.1's test_utils.download: name fname (default: url's last part) inside dirname;
    # an existing file is returned unless overwrite=True
    url = 'https://example.invalid/models/net-symbol.json'
    (tmp_path / 'net-symbol.json').write_text('{}')
    assert mx.test_utils.download(url, dirname=str(tmp_path)) == str(tmp_path / 'net-symbol.json')
    assert mx.test_utils.download(url, fname='net-symbol.json', dirname=str(tmp_path)) == \
        str(tmp_path / 'net-symbol.json')
    for kwargs in [{'dirname': str(tmp_path), 'overwrite': True}, {'dirname': str(tmp_path / 'none')}]:
        with pytest.raises(FileNotFoundError, match=r"^download: .*copy %s there" % url):
            mx.test_utils.download(url, **kwargs)
    assert not (tmp_path / 'none').exists()
