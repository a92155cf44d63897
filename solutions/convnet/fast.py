"""Fast convolution and pooling (bonus): the layers of conv.py and pool.py, vectorized.

Every function here has the signature of its loop version and returns the same
values, up to float rounding: ``conv_forward_fast`` matches ``conv_forward``, and so
on. Arrays are NCHW float64:

- ``x``: input, shape ``(N, C, H, W)``
- ``w``: filters, shape ``(F, C, HH, WW)``; ``b``: biases, shape ``(F,)``
- conv output ``(N, F, H', W')`` with ``H' = (H - HH + 2*pad)/stride + 1``, and the same
  for ``W'``; pool output ``(N, C, H', W')`` with ``H' = (H - PH)/stride + 1``.

Rules of the bonus: pure numpy (no loops over output pixels in Python, no compiled
extensions), the same errors as the loop versions for geometry that does not fit, and
inputs never modified. A forward pass returns ``(out, cache)``; the graders hand that
same cache back to your backward pass, so it may hold whatever your backward needs.

Hints: a convolution is one matrix product once every receptive field is laid out as
a column ("im2col"): ``numpy.lib.stride_tricks`` builds those columns as a view without
copying. The backward pass of im2col ("col2im") only needs a loop over the ``HH * WW``
filter taps, never over pixels. Pooling windows that tile the input exactly
(``stride == PH == PW``) are a ``reshape`` away.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

# Output sizes, for the code below (which may do without them).
from .shapes import conv_output_size, pool_output_size  # noqa: F401

# BEGIN SOLUTION
# Images are processed a few at a time, so that their columns (the im2col matrix) stay
# in the CPU cache between the copy that builds them and the matrix product that reads
# them: building the columns of a whole batch at once writes and reads back hundreds of
# MB of main memory, which costs as much as the matrix product itself. About the size
# of a core's L2 cache; at least one image per block.
_BLOCK_BYTES = 2 << 20
# Pooling makes a few cheap passes over its input and its temporaries: small blocks
# (an eighth of a core's L2) keep all of them in cache.
_POOL_BLOCK_BYTES = 1 << 18
# END SOLUTION


def conv_forward_fast(x, w, b, conv_param):
    """Forward pass of a convolutional layer, as :func:`convnet.conv.conv_forward`.

    Args:
        x: input, shape ``(N, C, H, W)``.
        w: filters, shape ``(F, C, HH, WW)``.
        b: biases, shape ``(F,)``.
        conv_param: ``{"stride": S, "pad": P}``.

    Returns:
        ``(out, cache)``: ``out`` float64 of shape ``(N, F, H', W')``, equal to
        ``conv_forward``'s to float rounding; ``cache`` is what your
        :func:`conv_backward_fast` needs (this reference keeps ``(x, w, b, conv_param)``,
        as the loop version does, and rebuilds the columns in the backward pass).

    Raises:
        ValueError: as ``conv_forward``.
    """
    # BEGIN SOLUTION
    x, w, b = _floats(x, w, b)
    stride, pad, out_h, out_w = _conv_geometry(x, w, b, conv_param)
    n, c, h, w_in = x.shape
    f, _, hh, ww = w.shape
    taps = hh * ww
    out = np.empty((n, f, out_h * out_w))
    im2col = _Im2col((c, h, w_in), (hh, ww), stride, (pad, pad), (out_h, out_w), ones_row=True)
    # With a row of ones under the columns, [w | b] @ [cols; 1] adds the bias inside the
    # matrix product, saving a pass over the output.
    w_rows = np.concatenate([w.reshape(f, c * taps), b[:, None]], axis=1) if im2col.ones_row else w.reshape(f, -1)
    for lo, hi in _blocks(n, im2col.block_bytes):
        # (F, C*HH*WW [+1]) @ (C*HH*WW [+1], H'*W') per image: the result lands in NCHW order.
        block = np.matmul(w_rows, im2col(x[lo:hi]), out=out[lo:hi])
        if not im2col.ones_row:
            block += b[:, None]
    return out.reshape(n, f, out_h, out_w), (x, w, b, conv_param)
    # END SOLUTION


def conv_backward_fast(dout, cache):
    """Backward pass of a convolutional layer, as :func:`convnet.conv.conv_backward`.

    Args:
        dout: upstream gradient, shape ``(N, F, H', W')``.
        cache: as returned by :func:`conv_forward_fast`.

    Returns:
        ``(dx, dw, db)``, float64, of shapes ``(N, C, H, W)``, ``(F, C, HH, WW)`` and
        ``(F,)``, summed over the batch, equal to ``conv_backward``'s to float rounding.
    """
    # BEGIN SOLUTION
    x, w, b, conv_param = cache[:4]
    x, w, b = _floats(x, w, b)
    stride, pad, out_h, out_w = _conv_geometry(x, w, b, conv_param)
    n, c, h, w_in = x.shape
    f, _, hh, ww = w.shape
    dout = _check_dout(dout, (n, f, out_h, out_w)).reshape(n, f, out_h * out_w)
    k = c * hh * ww
    w_rows = w.reshape(f, k)
    im2col = _Im2col((c, h, w_in), (hh, ww), stride, (pad, pad), (out_h, out_w), ones_row=True)
    # With the row of ones, dout_i @ [cols_i; 1]^T gives [dW_i | db_i]: the bias
    # gradient (a sum over pixels) comes out of the same matrix product.
    dwb = np.zeros((f, k + im2col.ones_row))
    dwb_image = np.empty_like(dwb)
    db = np.zeros(f)
    dx = np.empty((n, c, h * w_in))
    dx_of = _dx_as_convolution(w, pad, (h, w_in)) if _prefer_transposed_conv(w, stride) else None
    for lo, hi in _blocks(n, im2col.block_bytes):
        g = dout[lo:hi]
        cols = im2col(x[lo:hi])
        for i in range(hi - lo):
            # dout_i (F, H'W') @ cols_i^T (H'W', C*HH*WW [+1]): matmul reads the transposed
            # operand in place (BLAS transpose flag), no copy.
            dwb += np.matmul(g[i], cols[i].T, out=dwb_image)
        if not im2col.ones_row:
            db += g.sum(axis=(0, 2))
        if dx_of is not None:
            dx_of(g, out=dx[lo:hi])
        else:
            _col2im(np.matmul(w_rows.T, g), dx[lo:hi], (c, h, w_in), (hh, ww), stride, pad, (out_h, out_w))
    if im2col.ones_row:
        db = dwb[:, k].copy()
    return dx.reshape(x.shape), np.ascontiguousarray(dwb[:, :k]).reshape(w.shape), db
    # END SOLUTION


def max_pool_forward_fast(x, pool_param):
    """Forward pass of max pooling, as :func:`convnet.pool.max_pool_forward`.

    Args:
        x: input, shape ``(N, C, H, W)``.
        pool_param: ``{"pool_height": PH, "pool_width": PW, "stride": S}``.

    Returns:
        ``(out, cache)``: ``out`` float64 of shape ``(N, C, H', W')``; ``cache`` is what
        your :func:`max_pool_backward_fast` needs (here ``(x, pool_param)``).

    Raises:
        ValueError: as ``max_pool_forward``.
    """
    # BEGIN SOLUTION
    x = _floats(x)[0]
    ph, pw, stride, out_h, out_w = _pool_geometry(x, pool_param)
    if _tiles(ph, pw, stride):
        return _tiled_pool(x, ph, np.maximum), (x, pool_param)
    taps = _pool_taps(x, ph, pw, stride, out_h, out_w)
    out = next(taps)[1].copy()
    for _, window_tap in taps:
        np.maximum(out, window_tap, out=out)
    return out, (x, pool_param)
    # END SOLUTION


def max_pool_backward_fast(dout, cache):
    """Backward pass of max pooling, as :func:`convnet.pool.max_pool_backward`.

    Each window's gradient goes to one position: the first maximum of the window in
    row-major order, as in the loop version; overlapping windows add up.

    Args:
        dout: upstream gradient, shape ``(N, C, H', W')``.
        cache: as returned by :func:`max_pool_forward_fast`.

    Returns:
        ``dx`` float64 of shape ``(N, C, H, W)``.
    """
    # BEGIN SOLUTION
    x, pool_param = cache[:2]
    x = _floats(x)[0]
    ph, pw, stride, out_h, out_w = _pool_geometry(x, pool_param)
    dout = _check_dout(dout, x.shape[:2] + (out_h, out_w))
    if _tiles(ph, pw, stride):
        return _tiled_max_backward(x, dout, ph)
    # Each window's winner: its first maximum over the taps in row-major order, the
    # pixel np.argmax picks in the loop version.
    taps = [tap for _, tap in _pool_taps(x, ph, pw, stride, out_h, out_w)]
    _, winner = _first_max(taps, np.intp, keep_best=False)
    # Along one tap, distinct windows read distinct pixels, so a strided view per tap
    # takes every window's gradient without collisions; only taps overlap (S < PH).
    dx = np.zeros(x.shape)
    for t, dx_tap in _pool_taps(dx, ph, pw, stride, out_h, out_w):
        dx_tap += dout * (winner == t)
    return dx
    # END SOLUTION


def avg_pool_forward_fast(x, pool_param):
    """Forward pass of average pooling, as :func:`convnet.pool.avg_pool_forward`.

    Args, returns and errors as :func:`max_pool_forward_fast`.
    """
    # BEGIN SOLUTION
    x = _floats(x)[0]
    ph, pw, stride, out_h, out_w = _pool_geometry(x, pool_param)
    if _tiles(ph, pw, stride):
        out = _tiled_pool(x, ph, np.add)
    else:
        taps = _pool_taps(x, ph, pw, stride, out_h, out_w)
        out = next(taps)[1].copy()
        for _, window_tap in taps:
            out += window_tap
    out /= ph * pw
    return out, (x, pool_param)
    # END SOLUTION


def avg_pool_backward_fast(dout, cache):
    """Backward pass of average pooling, as :func:`convnet.pool.avg_pool_backward`:
    each window's gradient is shared equally, ``1 / (PH * PW)`` each, among its
    positions; overlapping windows add up.

    Args:
        dout: upstream gradient, shape ``(N, C, H', W')``.
        cache: as returned by :func:`avg_pool_forward_fast`.

    Returns:
        ``dx`` float64 of shape ``(N, C, H, W)``.
    """
    # BEGIN SOLUTION
    x, pool_param = cache[:2]
    x = np.asarray(x)
    ph, pw, stride, out_h, out_w = _pool_geometry(x, pool_param)
    share = _check_dout(dout, x.shape[:2] + (out_h, out_w)) / (ph * pw)
    n, c, h, w = x.shape
    if _tiles(ph, pw, stride):
        # Broadcast each share over its window, then one copy into NCHW order.
        spread = np.broadcast_to(share[:, :, :, None, :, None], (n, c, out_h, ph, out_w, pw))
        return spread.reshape(n, c, h, w)
    dx = np.zeros((n, c, h, w))
    for _, dx_tap in _pool_taps(dx, ph, pw, stride, out_h, out_w):
        dx_tap += share
    return dx
    # END SOLUTION


# BEGIN SOLUTION
class _Im2col:
    """Columns of a block of images: ``cols[i, (c, di, dj), (y, x)] =
    xpad[i, c, y*S + di, x*S + dj]``, shape ``(B, C*HH*WW, H'*W')``, and with
    ``ones_row`` one more row of ones, ``(B, C*HH*WW + 1, H'*W')``.

    Builds them into buffers reused from block to block (fresh arrays would pay for
    page faults on every block): the padded image goes into a buffer whose zero border
    is written once, the row of ones is written once, and the columns are one strided
    copy out of the padded image.
    """

    def __init__(self, chw, filter_hw, stride, pad_hw, out_hw, *, ones_row=False):
        self.c, self.h, self.w = chw
        self.hh, self.ww = filter_hw
        self.stride = stride
        self.pad_h, self.pad_w = pad_hw
        self.out_h, self.out_w = out_hw
        # A 1x1 filter with stride 1 and no padding reads every pixel once, in order:
        # the input already is its own column matrix, and a view (with no room for a
        # row of ones) beats copying it.
        self.is_view = (self.hh, self.ww, stride, self.pad_h, self.pad_w) == (1, 1, 1, 0, 0)
        self.ones_row = ones_row and not self.is_view
        self.rows = self.c * self.hh * self.ww + self.ones_row
        self.block_bytes = 8 * self.rows * self.out_h * self.out_w
        self._padded = self._cols = None

    def __call__(self, x):
        """Columns of ``x`` (B, C, H, W): a view of ``x`` or of a reused buffer."""
        b = x.shape[0]
        if self.is_view:
            return x.reshape(b, self.c, self.h * self.w)
        if self._cols is None or self._cols.shape[0] < b:
            self._padded = np.zeros((b, self.c, self.h + 2 * self.pad_h, self.w + 2 * self.pad_w))
            self._cols = np.empty((b, self.rows, self.out_h * self.out_w))
            if self.ones_row:
                self._cols[:, -1] = 1.0
        padded, cols = self._padded[:b], self._cols[:b]
        padded[:, :, self.pad_h:self.pad_h + self.h, self.pad_w:self.pad_w + self.w] = x
        taps = cols[:, :self.c * self.hh * self.ww]
        taps.reshape(b, self.c, self.hh, self.ww, self.out_h, self.out_w)[...] = _windows(
            padded, self.hh, self.ww, self.stride, self.out_h, self.out_w
        )
        return cols


def _windows(xp, hh, ww, stride, out_h, out_w):
    """Read-only view ``(B, C, HH, WW, H', W')`` of ``xp`` (B, C, Hp, Wp):
    ``[i, c, di, dj, y, x] = xp[i, c, y*stride + di, x*stride + dj]``."""
    sb, sc, sh, sw = xp.strides
    return as_strided(
        xp,
        shape=xp.shape[:2] + (hh, ww, out_h, out_w),
        strides=(sb, sc, sh, sw, sh * stride, sw * stride),
        writeable=False,
    )


def _prefer_transposed_conv(w, stride):
    """With stride 1, dx is itself a convolution: of dout, padded, with the filters
    flipped and their F and C axes swapped. That path writes dx straight out of one
    matrix product, where col2im writes C*HH*WW values per output pixel and adds them
    back in HH*WW passes; its columns hold F*HH*WW values per input pixel instead.
    Take it when it moves less data: stride 1 and no more filters than channels."""
    f, c = w.shape[:2]
    return stride == 1 and f <= c


def _dx_as_convolution(w, pad, hw):
    """Return ``dx_of(g, out)``: for stride 1, ``dx[c, y, x] = sum over f, di, dj of
    g[f, y + pad - di, x + pad - dj] * w[f, c, di, dj]``, which is a stride-1
    convolution of ``g`` (B, F, H'*W') zero-padded by ``HH - 1 - pad`` (cropped when
    negative) with ``w`` flipped in space and transposed to ``(C, F, HH, WW)``."""
    f, c, hh, ww = w.shape
    h, w_in = hw
    out_h, out_w = h + 2 * pad - hh + 1, w_in + 2 * pad - ww + 1
    w_flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(c, f * hh * ww)
    # The input of that convolution is g padded by (hh - 1 - pad); with pad > hh - 1 that
    # is a crop. Write it as im2col's padding of g, then crop below when negative.
    grow_h, grow_w = max(hh - 1 - pad, 0), max(ww - 1 - pad, 0)
    cut_h, cut_w = max(pad - (hh - 1), 0), max(pad - (ww - 1), 0)
    im2col = _Im2col((f, out_h - 2 * cut_h, out_w - 2 * cut_w), (hh, ww), 1, (grow_h, grow_w), (h, w_in))

    def dx_of(g, out):
        g = g.reshape(g.shape[0], f, out_h, out_w)[:, :, cut_h:out_h - cut_h, cut_w:out_w - cut_w]
        return np.matmul(w_flipped, im2col(g), out=out)

    return dx_of


def _col2im(cols, dx, chw, filter_hw, stride, pad, out_hw):
    """Add the columns' gradients ``cols`` (B, C*HH*WW, H'*W') back onto the pixels
    they were read from, writing ``dx`` (B, C, H*W). One strided add per filter tap:
    along one tap, distinct output pixels read distinct input pixels."""
    c, h, w = chw
    hh, ww = filter_hw
    out_h, out_w = out_hw
    b = cols.shape[0]
    cols = cols.reshape(b, c, hh, ww, out_h, out_w)
    dxp = np.zeros((b, c, h + 2 * pad, w + 2 * pad))
    for di in range(hh):
        for dj in range(ww):
            dxp[:, :, di:di + stride * out_h:stride, dj:dj + stride * out_w:stride] += cols[:, :, di, dj]
    dx.reshape(b, c, h, w)[...] = dxp[:, :, pad:pad + h, pad:pad + w]


def _blocks(n, bytes_per_image):
    """``(lo, hi)`` ranges over the batch, about _BLOCK_BYTES of columns each."""
    step = max(1, _BLOCK_BYTES // max(bytes_per_image, 1))
    return [(lo, min(lo + step, n)) for lo in range(0, n, step)]


def _tiles(ph, pw, stride):
    """Windows tile the input exactly: no overlap, no gap (the sizes already fit)."""
    return ph == pw == stride


def _planes(a):
    """Split ``a`` (N, C, H, W) into blocks of whole channel planes, about
    _POOL_BLOCK_BYTES each, as contiguous arrays ``(planes, H, W)``: a block's
    temporaries then stay in cache between the few passes made over it."""
    n, c, h, w = a.shape
    flat = np.ascontiguousarray(a).reshape(n * c, h, w)
    step = max(1, _POOL_BLOCK_BYTES // (8 * h * w))
    return [(lo, flat[lo:lo + step]) for lo in range(0, n * c, step)]


def _tiled_pool(x, k, combine):
    """Pool ``x`` (N, C, H, W) with k x k windows and stride k (they tile it), with
    ``combine`` = np.maximum or np.add; returns (N, C, H/k, W/k).

    Two reductions instead of one over a (.., k, .., k) reshape, which numpy runs as
    tiny inner loops: first the k columns of each window, through the 1-D views
    ``flat[dj::k]`` (rows have W = k * W' pixels, so entry j of view dj is pixel
    ``k*j + dj`` of the flattened image); then the k rows, as k strided row views."""
    n, c, h, w = x.shape
    out_h, out_w = h // k, w // k
    out = np.empty((n * c, out_h * out_w))
    for lo, planes in _planes(x):
        flat = planes.reshape(-1)
        cols = flat[0::k].copy()
        for dj in range(1, k):
            combine(cols, flat[dj::k], out=cols)
        rows = cols.reshape(-1, k, out_w)  # (planes * H', k rows, W')
        block = out[lo:lo + planes.shape[0]].reshape(-1, out_w)
        np.copyto(block, rows[:, 0])
        for di in range(1, k):
            combine(block, rows[:, di], out=block)
    return out.reshape(n, c, out_h, out_w)


def _first_max(views, dtype, *, keep_best=True):
    """``(best, winner)``: the elementwise maximum of same-shape ``views`` and the index
    of the first view that holds it (ties go to the earliest), as ``dtype``.
    ``best`` is None unless ``keep_best``."""
    best = views[0].copy()
    winner = np.zeros(best.shape, dtype=dtype)
    for t in range(1, len(views)):
        larger = views[t] > best
        # Views come in increasing t, so "t where strictly larger, else keep" is a
        # maximum: branch-free, where np.copyto(..., where=) costs 5x more per element.
        if t == 1:
            winner = larger.astype(dtype)
        else:
            np.maximum(winner, larger * dtype(t), out=winner)
        if keep_best or t < len(views) - 1:
            np.maximum(best, views[t], out=best)
    return (best if keep_best else None), winner


def _tiled_max_backward(x, dout, k):
    """dx of max pooling with k x k windows and stride k, by the two reductions of
    _tiled_pool: the winning column of each window row (first one on ties), then the
    winning row (first one on ties); the row-major first maximum of the window is the
    winning row's winning column. Each window's gradient then goes down the same path."""
    n, c, h, w = x.shape
    out_w = w // k
    small = np.uint8 if k < 256 else np.intp
    dx = np.empty((n * c, h * w))
    g_all = np.ascontiguousarray(dout).reshape(n * c, -1)
    for lo, planes in _planes(x):
        flat = planes.reshape(-1)
        col_best, col_win = _first_max([flat[dj::k] for dj in range(k)], small)
        rows = col_best.reshape(-1, k, out_w)  # (planes * H', k rows, W')
        _, row_win = _first_max([rows[:, di] for di in range(k)], small, keep_best=False)
        # The gradient of each window row: dout where that row won, else 0 ...
        g = g_all[lo:lo + planes.shape[0]].reshape(-1, out_w)
        g_rows = np.empty(rows.shape)
        for di in range(k):
            np.multiply(g, row_win == di, out=g_rows[:, di])
        # ... and of each pixel: its row's gradient where its column won, else 0.
        g_rows = g_rows.reshape(-1)
        dx_flat = dx[lo:lo + planes.shape[0]].reshape(-1)
        for dj in range(k):
            np.multiply(g_rows, col_win == dj, out=dx_flat[dj::k])
    return dx.reshape(n, c, h, w)


def _pool_taps(a, ph, pw, stride, out_h, out_w):
    """Yield ``(t, view)`` for each window position ``t = di*PW + dj`` in row-major
    order: ``view[n, c, i, j] = a[n, c, i*stride + di, j*stride + dj]``, shape
    ``(N, C, H', W')``, a strided view (writable when ``a`` is)."""
    for di in range(ph):
        for dj in range(pw):
            rows = slice(di, di + stride * (out_h - 1) + 1, stride)
            cols = slice(dj, dj + stride * (out_w - 1) + 1, stride)
            yield di * pw + dj, a[:, :, rows, cols]


# The same validation (and error messages) as the loop versions (inside the solution region:
# the student's stub has none of these imports).
from .conv import _geometry as _conv_geometry  # noqa: E402
from .pool import _check_dout  # noqa: E402
from .pool import _geometry as _pool_geometry  # noqa: E402


def _floats(*arrays):
    """float64 arrays; no copy for inputs that already are (the results are float64
    whatever the input dtype, as in the loop versions)."""
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


# END SOLUTION
