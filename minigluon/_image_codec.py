"""The one image codec of minigluon: Pillow, with OpenCV's conventions.

MXNet 1.9.1 decodes with OpenCV (its built-in OpenCV 3.4.2 behind ``mx.image.imdecode``; the
``cv2`` package behind ``mx.recordio.pack_img`` / ``unpack_img``). minigluon decodes and encodes
with Pillow (an optional dependency, imported here on first use) and converts the pixels the way
OpenCV does, so that PNG and BMP files give MXNet's numbers exactly. :func:`decode_cv` returns
OpenCV's arrays (BGR channel order, 2-D grayscale); ``imdecode`` / ``imread`` of ``mx.image``
(defined here, exported by :mod:`minigluon.image`) and ``unpack_img`` of ``mx.recordio``
(:mod:`minigluon._recordio_pack`) are built on it, and :func:`encode_cv` serves ``pack_img``.

* colour (``iscolor=1``): ``(H, W, 3)`` BGR; alpha is dropped (not composited), gray is
  repeated, palettes are expanded, 16-bit samples keep their high byte.
* grayscale (``iscolor=0``): ``(H, W)``. PNG colour images use libpng's conversion, which OpenCV
  asks for: ``(9797 R + 19234 G + 3737 B) >> 15`` (weights 0.299 and 0.587 in 1/32768 units,
  truncated; checked on every pixel against MXNet for 8-bit PNGs; a 16-bit colour PNG is
  converted from Pillow's 8-bit samples where OpenCV converts at 16 bits, so about half the
  values differ by 1). JPEG files are decoded straight to their
  luma channel, as libjpeg does for OpenCV. Other formats (BMP, ...) use OpenCV's ``cvtColor``
  weights, ``(4899 R + 9617 G + 1868 B + 8192) >> 14``.
* as stored (``iscolor=-1``): 2-D gray (uint16 for 16-bit gray PNG), BGR, or BGRA when the image
  has alpha (also gray-with-alpha and palettes with a transparent entry).
* EXIF orientation: applied only when asked (``exif=True``). MXNet 1.9.1's built-in OpenCV 3.4.2
  ignores it in ``mx.image.imdecode``; ``cv2.imdecode`` applies it unless reading as stored.
"""
import io
import numbers
import os

import numpy as np

from minigluon import ndarray as nd
from minigluon.base import (MissingDependencyError, MXNetFormatError, MXNetTypeError, MXNetValueError,
                            raises_mxnet_errors, read_file)


def pil_image():
    """``PIL.Image``, or :class:`MissingDependencyError` saying how to install Pillow."""
    try:
        from PIL import Image
    except ModuleNotFoundError:     # (an installed but broken Pillow raises its own ImportError)
        raise MissingDependencyError(
            'minigluon reads and writes image files (mx.image, mx.recordio.pack_img / unpack_img, '
            'the image datasets) with Pillow, which is not installed: pip install pillow') from None
    return Image


def _to_gray(rgb, fmt):
    """uint8 ``(H, W)`` gray values of a uint8 ``(H, W, 3)`` RGB array, with the fixed-point
    weights OpenCV uses for files of format ``fmt`` (libpng's for PNG, ``cvtColor``'s else)."""
    wr, wg, wb, add, shift = (9797, 19234, 3737, 0, 15) if fmt == 'PNG' else (4899, 9617, 1868, 8192, 14)
    v = rgb.astype(np.int64)
    return ((wr * v[..., 0] + wg * v[..., 1] + wb * v[..., 2] + add) >> shift).astype(np.uint8)


def decode_cv(buf, iscolor, what, exif=False):
    """Decode the image bytes ``buf`` as OpenCV's ``imdecode`` would (see the module docstring).

    Parameters
    ----------
    buf : bytes
    iscolor : {-1, 0, 1}
        OpenCV's flag (as stored, grayscale, colour); already checked by the caller.
    what : str
        Names the source in errors ("file 'a.png'", "the record payload (812 bytes)").
    exif : bool
        Apply the EXIF orientation.

    Returns
    -------
    numpy.ndarray
        uint8 (uint16 for a 16-bit gray image read as stored): ``(H, W)`` gray, ``(H, W, 3)`` BGR
        or ``(H, W, 4)`` BGRA.

    Raises
    ------
    MXNetFormatError
        When ``buf`` is not an image Pillow can decode (``cv2.imdecode`` returns ``None``).
    MissingDependencyError
        Without Pillow.
    """
    Image = pil_image()
    try:
        img = Image.open(io.BytesIO(buf))
        fmt = img.format
        if fmt == 'JPEG' and iscolor == 0 and img.mode != 'L':
            img.draft('L', img.size)           # libjpeg's gray output: the luma channel
        img.load()
        if exif:
            from PIL import ImageOps
            img = ImageOps.exif_transpose(img)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        # (UnidentifiedImageError is an OSError)
        raise MXNetFormatError('%s is not an image that can be decoded (PNG, JPEG, BMP... as '
                               'Pillow reads them): %s' % (what, err)) from None
    mode = img.mode
    if mode.startswith('I'):                   # 16-bit gray: as stored, else its high byte
        arr = np.clip(np.asarray(img, dtype=np.int64), 0, 65535)
        if iscolor == -1:
            return arr.astype(np.uint16)
        gray = (arr >> 8).astype(np.uint8)
        return gray if iscolor == 0 else np.repeat(gray[:, :, None], 3, axis=2)
    alpha = iscolor == -1 and ('A' in mode or (mode == 'P' and 'transparency' in img.info))
    if mode in ('L', '1', 'LA', 'La') and not alpha:
        gray = np.asarray(img if mode == 'L' else img.convert('L'), dtype=np.uint8)
        return gray if iscolor != 1 else np.repeat(gray[:, :, None], 3, axis=2)
    want = 'RGBA' if alpha else 'RGB'
    rgb = np.asarray(img if mode == want else img.convert(want), dtype=np.uint8)
    if iscolor == 0:
        return _to_gray(rgb, fmt)
    return np.ascontiguousarray(rgb[:, :, [2, 1, 0, 3] if alpha else [2, 1, 0]])


_FORMATS = {'.JPG': 'JPEG', '.JPEG': 'JPEG', '.PNG': 'PNG', '.BMP': 'BMP'}


def encode_cv(img, quality, img_fmt):
    """Encode an image given in OpenCV's conventions, as ``cv2.imencode`` does for ``pack_img``
    (:func:`minigluon._recordio_pack.pack_img` documents the arguments, the result and the
    errors): grayscale ``(H, W)``, BGR or BGRA uint8 (uint16 grayscale for PNG) to the bytes of
    a JPEG, PNG or BMP file."""
    Image = pil_image()
    fmt = _FORMATS.get(img_fmt.upper()) if isinstance(img_fmt, str) else None
    if fmt is None:
        raise MXNetValueError("img_fmt must be one of '.jpg', '.jpeg', '.png', '.bmp', got %r" % (img_fmt,))
    if isinstance(quality, bool) or not isinstance(quality, numbers.Integral):
        raise MXNetTypeError('quality must be an int, got %r' % (quality,))
    arr = np.asarray(img.asnumpy() if hasattr(img, 'asnumpy') else img)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    gray16 = arr.ndim == 2 and arr.dtype == np.uint16 and fmt == 'PNG'
    if not (arr.dtype == np.uint8 or gray16) or arr.size == 0 or not (
            arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        raise MXNetValueError('img must be a non-empty uint8 array of shape (H, W), (H, W, 1), (H, W, 3) '
                              'BGR or (H, W, 4) BGRA (uint16 (H, W) for .png), got %s %s'
                              % (arr.dtype, arr.shape))
    if arr.ndim == 3:       # OpenCV's BGR(A) to Pillow's RGB(A); JPEG has no alpha
        arr = arr[:, :, [2, 1, 0] if fmt == 'JPEG' or arr.shape[2] == 3 else [2, 1, 0, 3]]
    options = {'JPEG': {'quality': min(max(int(quality), 0), 100)},
               'PNG': {'compress_level': min(max(int(quality), 0), 9)}}.get(fmt, {})
    out = io.BytesIO()
    try:
        Image.fromarray(np.ascontiguousarray(arr)).save(out, format=fmt, **options)
    except (OSError, ValueError) as err:     # e.g. a JPEG side over 65500 pixels
        raise MXNetValueError('cannot encode an image of shape %s as %s: %s'
                              % (arr.shape, img_fmt, err)) from None
    return out.getvalue()


def _pixels(buf, flag, to_rgb, what):
    """uint8 ``(H, W, 3)`` (RGB or BGR by ``to_rgb``) or ``(H, W, 1)`` pixels of ``mx.image``:
    OpenCV's decoding without the EXIF orientation, as MXNet 1.9.1's built-in OpenCV."""
    arr = decode_cv(buf, flag, what)
    if flag == 0:
        return arr[:, :, None]
    return np.ascontiguousarray(arr[:, :, ::-1]) if to_rgb else arr


def check_flag(flag, owner='flag'):
    """``flag`` as the int 0 (grayscale) or 1 (colour), else ``MXNetValueError`` naming ``owner``.
    A bool or a float is refused, as MXNet 1.9.1 refuses them ("expect int")."""
    if isinstance(flag, bool) or not isinstance(flag, numbers.Integral) or flag not in (0, 1):
        raise MXNetValueError('%s: flag must be 1 (3-channel colour) or 0 (1-channel grayscale), '
                              'got %r' % (owner, flag))
    return int(flag)


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
        For a ``buf`` of another type (a ``str`` too; MXNet raises ``ValueError`` there), a
        ``flag`` other than 0/1, a float NDArray ``buf`` or an ``out`` of the wrong shape.
    MXNetTypeError
        For an ``out`` that is not an NDArray.
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
    return _finish(_pixels(buf, check_flag(flag, 'imdecode'), to_rgb, 'buf'), out)


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
    MXNetTypeError
        For a ``filename`` that is not a str or path (or an ``out`` that is not an NDArray).
    MXNetFileNotFoundError
        When the file does not exist (its name is in the message); other unreadable paths raise
        the matching ``OSError`` that is also an ``MXNetError``
        (:func:`minigluon.base.open_regular`).
    MXNetFormatError
        When the file is not a decodable image (the message names it).
    MXNetValueError
        For a FIFO, socket or device instead of a regular file, and as in :func:`imdecode`.
    MissingDependencyError
        As in :func:`imdecode`.
    """
    if not isinstance(filename, (str, os.PathLike)):
        raise TypeError('filename must be a str or path, got %s' % type(filename).__name__)
    flag = check_flag(flag, 'imread')
    return _finish(_pixels(read_file(filename), flag, to_rgb, 'file %r' % str(filename)), out)
