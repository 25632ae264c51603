"""Image-record headers and images inside records: ``IRHeader``, ``pack``, ``unpack``,
``pack_img``, ``unpack_img`` of :mod:`minigluon.recordio` (MXNet 1.9.1 ``mxnet.recordio``).

An image record starts with the 24-byte little-endian header ``<IfQQ`` (flag: uint32, label:
float32, id: uint64, id2: uint64). When ``flag > 0`` the label is the ``flag`` float32 values
that follow the header (the header's own label field is then 0); the payload comes next.
Images are encoded and decoded by :mod:`minigluon._image_codec` (Pillow, in OpenCV's conventions:
BGR channel order, 2-D grayscale).
"""
import numbers
import operator
import struct
from collections import namedtuple

import numpy as np

from minigluon._image_codec import decode_cv, encode_cv
from minigluon.base import MXNetFormatError, MXNetTypeError, MXNetValueError


def _as_bytes(buf, what):
    """``buf`` as ``bytes`` (a copy of any bytes-like object); a ``str`` or anything else raises
    :class:`MXNetTypeError` naming the argument ``what``."""
    if isinstance(buf, bytes):
        return buf
    if isinstance(buf, str):
        raise MXNetTypeError('%s must be bytes, got str; encode it first (e.g. %s.encode())' % (what, what))
    try:
        return memoryview(buf).tobytes()
    except TypeError:
        raise MXNetTypeError('%s must be bytes-like (bytes, bytearray, memoryview), got %s'
                             % (what, type(buf).__name__)) from None


# The tuple's type name is 'HEADER', as MXNet's, so that a header prints as MXNet prints it.
IRHeader = namedtuple('HEADER', ['flag', 'label', 'id', 'id2'])
IRHeader.__doc__ = """Header of an image record (MXNet 1.9.1 ``mx.recordio.IRHeader``).

Fields: ``flag`` (int, uint32: the number of label values stored after the header, 0 for a
scalar label), ``label`` (float, or a float32 array when ``flag > 0``), ``id`` and ``id2``
(uint64: a record id and its high bits, usually 0)."""

_HEADER = struct.Struct('<IfQQ')


def _uint(value, what, bits):
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise MXNetTypeError('IRHeader.%s must be an int, got %r' % (what, value)) from None
    if not 0 <= number < 1 << bits:
        raise MXNetValueError('IRHeader.%s must be in [0, 2**%d), got %d' % (what, bits, number))
    return number


def pack(header, s):
    """Prefix the payload ``s`` with an image-record header (MXNet 1.9.1 ``mx.recordio.pack``).

    Parameters
    ----------
    header : IRHeader or 4-sequence (flag, label, id, id2)
        A number ``label`` is stored in the header and ``flag`` is written as 0 whatever it
        was. Anything else (list, array, even an empty list) becomes float32 values written
        after the header, ``flag`` becomes their count and the header's label 0.
    s : bytes-like
        The payload (for an image record, the encoded image).

    Returns
    -------
    bytes
        The 24-byte header, the ``4 * flag`` label bytes, then ``s``.

    Raises
    ------
    MXNetTypeError, MXNetValueError
        For a header that is not 4 fields, ids that are not uint64, a label that is not
        numbers or does not fit float32 (MXNet 1.9.1 silently stores ``inf`` for such a value,
        a number or in a list; infinities and NaN given as such are kept). ``MXNetTypeError``
        also for an ``s`` that is not bytes-like.
    """
    try:
        flag, label, rid, rid2 = header
    except (TypeError, ValueError):
        raise MXNetTypeError('header must be an IRHeader (flag, label, id, id2), got %r' % (header,)) from None
    prefix = b''
    if isinstance(label, numbers.Number):
        flag = 0
    else:
        try:
            with np.errstate(over='raise'):    # as a scalar label too big for float32
                values = np.asarray(label, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise MXNetValueError('IRHeader.label must be a number or numbers, got %r (%s)'
                                  % (label, err)) from None
        except FloatingPointError:
            raise MXNetValueError('IRHeader.label %r cannot be stored as float32: a value is out '
                                  'of its range' % (label,)) from None
        flag, label, prefix = values.size, 0.0, values.tobytes()
    ints = _uint(flag, 'flag', 32), _uint(rid, 'id', 64), _uint(rid2, 'id2', 64)
    try:
        head = _HEADER.pack(ints[0], label, *ints[1:])
    except (struct.error, OverflowError, TypeError) as err:
        raise MXNetValueError('IRHeader.label %r cannot be stored as float32: %s' % (label, err)) from None
    return head + prefix + _as_bytes(s, 's')


def unpack(s):
    """Split an image record into its header and payload (MXNet 1.9.1 ``mx.recordio.unpack``).

    Parameters
    ----------
    s : bytes-like
        A record made by :func:`pack` (24 header bytes, then ``4 * flag`` label bytes).

    Returns
    -------
    header : IRHeader
        ``label`` is a float, or when ``flag > 0`` a float32 array of ``flag`` values (a
        writable copy; MXNet returns a read-only view of ``s``).
    payload : bytes

    Raises
    ------
    MXNetFormatError
        When ``s`` is shorter than 24 bytes or than its header says (MXNet 1.9.1:
        ``struct.error``/``ValueError``).
    MXNetTypeError
        For an ``s`` that is not bytes-like.
    """
    data = _as_bytes(s, 's')
    if len(data) < _HEADER.size:
        raise MXNetFormatError('an image record needs a %d-byte header, got %d bytes'
                               % (_HEADER.size, len(data)))
    header = IRHeader(*_HEADER.unpack_from(data))
    payload = data[_HEADER.size:]
    if header.flag > 0:
        size = 4 * header.flag
        if len(payload) < size:
            raise MXNetFormatError('the image record header says %d float32 labels (%d bytes) '
                                   'follow, but only %d bytes do' % (header.flag, size, len(payload)))
        header = header._replace(label=np.frombuffer(payload, np.float32, header.flag).copy())
        payload = payload[size:]
    return header, payload


def pack_img(header, img, quality=95, img_fmt='.jpg'):
    """Encode an image and :func:`pack` it (MXNet 1.9.1 ``mx.recordio.pack_img``, with Pillow
    where MXNet uses OpenCV).

    Parameters
    ----------
    header : IRHeader
    img : numpy.ndarray
        ``(H, W)`` or ``(H, W, 1)`` grey, ``(H, W, 3)`` **BGR** or ``(H, W, 4)`` BGRA, uint8
        (OpenCV's channel order, as MXNet; uint16 grey also for PNG).
    quality : int, default 95
        JPEG quality (clipped to 0..100) or PNG compression level (clipped to 0..9), as OpenCV.
    img_fmt : {'.jpg', '.jpeg', '.png', '.bmp'}, default '.jpg'

    Returns
    -------
    bytes

    Raises
    ------
    MXNetValueError, MXNetTypeError
        For another format, an image of another shape or dtype, or one the format cannot hold
        (JPEG: at most 65500 pixels a side).
    MissingDependencyError
        An ``ImportError`` saying ``pip install pillow`` when Pillow is missing.

    Notes
    -----
    PNG and BMP decode to exactly the pixels given; JPEG bytes differ from OpenCV's encoder.
    """
    return pack(header, encode_cv(img, quality, img_fmt))


def unpack_img(s, iscolor=-1):
    """:func:`unpack` a record and decode its image (MXNet 1.9.1 ``mx.recordio.unpack_img``,
    with Pillow where MXNet uses ``cv2.imdecode``).

    Parameters
    ----------
    s : bytes-like
    iscolor : {-1, 0, 1}, default -1
        OpenCV's flag: -1 as stored (grey ``(H, W)``, colour ``(H, W, 3)`` BGR, with alpha
        ``(H, W, 4)`` BGRA, 16-bit grey PNG as uint16), 0 grey ``(H, W)``, 1 colour BGR.

    Returns
    -------
    header : IRHeader
    img : numpy.ndarray
        uint8 (or uint16, see above), channels in **BGR** order as OpenCV and MXNet.

    Raises
    ------
    MXNetFormatError
        For bytes that are not an image (``cv2.imdecode`` returns ``None`` there).
    MXNetValueError
        For another ``iscolor``.
    MissingDependencyError
        An ``ImportError`` saying ``pip install pillow`` when Pillow is missing.

    Notes
    -----
    PNG decodes to the same pixels as MXNet's OpenCV for colour, grey (libpng's truncating
    0.299/0.587/0.114 weights), alpha and palette images (compared with ``mx.image.imdecode``
    in tests/fixtures/recordio). JPEG goes through Pillow's libjpeg and may differ from OpenCV's
    by a few levels; with ``iscolor`` 0 or 1 the EXIF orientation is applied, as OpenCV does.
    A 16-bit colour PNG comes back as 8-bit (Pillow's decoder), where OpenCV keeps uint16.
    """
    if isinstance(iscolor, bool) or iscolor not in (-1, 0, 1):
        raise MXNetValueError('iscolor must be -1 (as stored), 0 (grey) or 1 (colour), got %r' % (iscolor,))
    header, payload = unpack(s)
    return header, decode_cv(payload, iscolor, 'the record payload (%d bytes)' % len(payload),
                             exif=iscolor != -1)
