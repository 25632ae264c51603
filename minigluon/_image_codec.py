"""``imdecode`` and ``imread`` of ``mx.image`` (exported by :mod:`minigluon.image`), and their decoder.

MXNet 1.9.1 decodes with its built-in OpenCV 3.4.2 (``cv::imdecode``); minigluon decodes with
Pillow (an optional dependency, imported here on first use) and then converts the pixels the way
OpenCV does, so that PNG files give MXNet's numbers exactly:

* colour (``flag=1``): 3 channels; alpha is dropped (not composited), gray is repeated, palettes
  are expanded, 16-bit samples keep their high byte.
* grayscale (``flag=0``): 1 channel. PNG colour images use libpng's conversion, which OpenCV asks
  for: ``(9797 R + 19234 G + 3737 B) >> 15`` (weights 0.299 and 0.587 in 1/32768 units,
  truncated; checked on every pixel against MXNet). JPEG files are decoded straight to their
  luma channel, as libjpeg does for OpenCV. Other formats (BMP, ...) use OpenCV's ``cvtColor``
  weights, ``(4899 R + 9617 G + 1868 B + 8192) >> 14``.
* EXIF orientation is ignored, as by MXNet 1.9.1's OpenCV 3.4.2.
"""
import io
import os

import numpy as np

from minigluon import ndarray as nd
from minigluon.base import MXNetError, MXNetFormatError, raises_mxnet_errors, read_file


class MissingDependencyError(ImportError, MXNetError):
    """An optional dependency (Pillow) is needed and not installed."""


def pil_image():
    """``PIL.Image``, or :class:`MissingDependencyError` saying how to install Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise MissingDependencyError(
            'mx.image decodes images with Pillow, which is not installed: pip install pillow') from None
    return Image


def _gray_weights(fmt):
    """``(wr, wg, wb, add, shift)`` of the fixed-point RGB -> gray conversion OpenCV uses for ``fmt``."""
    if fmt == 'PNG':
        return 9797, 19234, 3737, 0, 15
    return 4899, 9617, 1868, 8192, 14


def _to_gray(rgb, fmt):
    """uint8 ``(H, W)`` gray values of a uint8 ``(H, W, 3)`` RGB array, with OpenCV's weights."""
    wr, wg, wb, add, shift = _gray_weights(fmt)
    v = rgb.astype(np.int64)
    return ((wr * v[..., 0] + wg * v[..., 1] + wb * v[..., 2] + add) >> shift).astype(np.uint8)


def _pixels(img):
    """``(kind, array)``: ``('gray', (H, W) uint8)`` or ``('rgb', (H, W, 3) uint8)`` for a PIL image."""
    mode = img.mode
    if mode in ('I', 'I;16', 'I;16B', 'I;16L', 'I;16N'):     # 16-bit gray: keep the high byte
        arr = np.clip(np.asarray(img, dtype=np.int64), 0, 65535) >> 8
        return 'gray', arr.astype(np.uint8)
    if mode in ('L', 'LA', '1', 'La'):
        return 'gray', np.asarray(img.convert('L') if mode != 'L' else img, dtype=np.uint8)
    if mode in ('RGB', 'RGBA', 'RGBX', 'RGBa'):
        return 'rgb', np.asarray(img, dtype=np.uint8)[..., :3]
    if mode in ('P', 'PA'):
        has_alpha = mode == 'PA' or 'transparency' in img.info
        return 'rgb', np.asarray(img.convert('RGBA' if has_alpha else 'RGB'), dtype=np.uint8)[..., :3]
    return 'rgb', np.asarray(img.convert('RGB'), dtype=np.uint8)


def decode(buf, flag, to_rgb, what):
    """Decode the image bytes ``buf`` to a uint8 ``(H, W, 3)`` (``flag=1``) or ``(H, W, 1)``
    (``flag=0``) NumPy array, RGB or BGR (``to_rgb``). ``what`` names the source in errors."""
    Image = pil_image()
    try:
        img = Image.open(io.BytesIO(buf))
        fmt = img.format
        if fmt == 'JPEG' and flag == 0 and img.mode != 'L':
            img.draft('L', img.size)           # libjpeg's gray output: the luma channel
        img.load()
    except (OSError, SyntaxError, ValueError) as err:   # UnidentifiedImageError is an OSError
        raise MXNetFormatError('%s is not an image that can be decoded (PNG, JPEG, BMP... as '
                               'Pillow reads them): %s' % (what, err)) from None
    kind, arr = _pixels(img)
    if flag == 0:
        gray = arr if kind == 'gray' else _to_gray(arr, fmt)
        return np.ascontiguousarray(gray[..., None])
    rgb = np.repeat(arr[..., None], 3, axis=2) if kind == 'gray' else arr
    return np.ascontiguousarray(rgb if to_rgb else rgb[..., ::-1])


def _check_flag(flag):
    if isinstance(flag, bool) or flag in (0, 1):
        return int(flag)
    raise ValueError('flag must be 1 (3-channel colour) or 0 (1-channel grayscale), got %r' % (flag,))


def _finish(pixels, out):
    """``pixels`` as a uint8 NDArray, or written into ``out`` (which is returned)."""
    if out is None:
        return nd.array(pixels, dtype=np.uint8)
    if not isinstance(out, nd.NDArray):
        raise TypeError('out must be an NDArray, got %s' % type(out).__name__)
    if tuple(out.shape) != pixels.shape:
        raise ValueError('out must have the decoded shape %s, got %s' % (pixels.shape, out.shape))
    out[:] = nd.array(pixels, ctx=out.context, dtype=out.dtype)
    return out


@raises_mxnet_errors
def imdecode(buf, flag=1, to_rgb=True, out=None):
    """Decode an encoded image (PNG, JPEG, BMP...) to an NDArray (MXNet 1.9.1 ``mx.image.imdecode``).

    Parameters
    ----------
    buf : bytes, bytearray, numpy.ndarray or uint8 NDArray
        The encoded file contents (a NumPy array is read as its raw bytes, as in MXNet).
    flag : {1, 0}
        1: colour, 3 channels; 0: grayscale, 1 channel (OpenCV's weights, see
        :mod:`minigluon._image_codec`).
    to_rgb : bool
        True: channels in RGB order; False: BGR (OpenCV's order). No effect for ``flag=0``.
    out : NDArray, optional
        Written with the image (cast to its dtype) and returned; its shape must be the image's.

    Returns
    -------
    NDArray
        uint8 ``(H, W, 3)`` or ``(H, W, 1)``.

    Raises
    ------
    MXNetValueError
        For a ``buf`` of another type (a ``str`` too), a ``flag`` other than 0/1, a float NDArray
        ``buf`` or an ``out`` of the wrong shape.
    MXNetFormatError
        When ``buf`` is not a decodable image.
    MissingDependencyError
        An ``ImportError`` saying ``pip install pillow`` when Pillow is missing.
    """
    if isinstance(buf, nd.NDArray):
        if buf.dtype != np.uint8:
            raise ValueError('buf: an NDArray buffer must be uint8, got %s'
                             % np.dtype(buf.dtype).name)
        buf = buf.asnumpy().tobytes()
    elif isinstance(buf, np.ndarray):
        buf = np.ascontiguousarray(buf).tobytes()
    elif isinstance(buf, (bytes, bytearray, memoryview)):
        buf = bytes(buf)
    else:
        raise ValueError('buf must be bytes, bytearray, numpy.ndarray or a uint8 NDArray, got %s'
                         '%s' % (type(buf).__name__, ' (encode a str to bytes first)'
                                 if isinstance(buf, str) else ''))
    return _finish(decode(buf, _check_flag(flag), bool(to_rgb), 'buf'), out)


@raises_mxnet_errors
def imread(filename, flag=1, to_rgb=True, out=None):
    """Read and decode an image file (MXNet 1.9.1 ``mx.image.imread``).

    Parameters
    ----------
    filename : str or os.PathLike
        The file to read.
    flag, to_rgb, out
        As in :func:`imdecode`.

    Returns
    -------
    NDArray
        uint8 ``(H, W, 3)`` (``flag=1``) or ``(H, W, 1)`` (``flag=0``).

    Raises
    ------
    MXNetFileNotFoundError
        When the file does not exist (its name is in the message); other unreadable paths raise
        the matching ``OSError`` that is also an ``MXNetError``.
    MXNetFormatError
        When the file is not a decodable image (the message names it).
    MXNetValueError, MissingDependencyError
        As in :func:`imdecode`.
    """
    if not isinstance(filename, (str, os.PathLike)):
        raise TypeError('filename must be a str or path, got %s' % type(filename).__name__)
    flag = _check_flag(flag)
    return _finish(decode(read_file(filename), flag, bool(to_rgb), 'file %r' % str(filename)), out)
