# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Private kernel: NaN-aware straight-line fit of every column of a (epoch, pixel) block.

Wrapped and documented by :func:`mimtpy.core.linfit.fit_lines`; the NumPy reference is
:func:`mimtpy.core.linfit.fit_lines_numpy`.

Pixels are processed in tiles of ``TILE`` columns: the sums of one tile stay in small local arrays
(in L1 cache) while the epochs stream past, instead of sweeping five pixel-long float64 arrays once
per epoch. Each pixel's sums still run over the epochs in order, so the results are the same, bit for bit.
"""

import numpy as np
from libc.math cimport isnan, sqrt, NAN

cdef enum:
    TILE = 256


def fit_lines_kernel(const float[:, ::1] y, const double[::1] t, int min_count):
    cdef Py_ssize_t n = y.shape[0], p = y.shape[1], i, j, j0, j1, k
    slope_arr = np.full(p, np.nan, dtype=np.float64)
    std_arr = np.full(p, np.nan, dtype=np.float64)
    count_arr = np.zeros(p, dtype=np.int32)
    cdef double[::1] slope = slope_arr, std = std_arr
    cdef int[::1] count = count_arr
    cdef double s0[TILE]
    cdef double s1[TILE]
    cdef double s2[TILE]
    cdef double sy[TILE]
    cdef double sty[TILE]
    cdef double rss[TILE]
    cdef double icpt[TILE]
    cdef double b[TILE]
    cdef double ti, yi, det, r, tbar
    cdef Py_ssize_t tile = TILE, ntiles = (p + TILE - 1) // TILE, q
    with nogil:
        for q in range(ntiles):
            j0 = q * tile
            j1 = min(j0 + tile, p)
            for k in range(j1 - j0):
                s0[k] = 0.0
                s1[k] = 0.0
                s2[k] = 0.0
                sy[k] = 0.0
                sty[k] = 0.0
                rss[k] = 0.0
            for i in range(n):
                ti = t[i]
                for j in range(j0, j1):
                    yi = y[i, j]
                    if not isnan(yi):
                        k = j - j0
                        s0[k] += 1.0
                        s1[k] += ti
                        s2[k] += ti * ti
                        sy[k] += yi
                        sty[k] += ti * yi
            for j in range(j0, j1):
                k = j - j0
                b[k] = NAN
                icpt[k] = 0.0
                count[j] = <int>s0[k]
                if count[j] < min_count or count[j] < 2:
                    continue
                det = s0[k] * s2[k] - s1[k] * s1[k]
                if det <= 1e-12 * s0[k] * s2[k]:
                    continue
                b[k] = (s0[k] * sty[k] - s1[k] * sy[k]) / det
                icpt[k] = (sy[k] - b[k] * s1[k]) / s0[k]
                slope[j] = b[k]
            for i in range(n):
                ti = t[i]
                for j in range(j0, j1):
                    yi = y[i, j]
                    k = j - j0
                    if not isnan(yi) and not isnan(b[k]):
                        r = yi - icpt[k] - b[k] * ti
                        rss[k] += r * r
            for j in range(j0, j1):
                k = j - j0
                if isnan(b[k]) or count[j] < 3:
                    continue
                tbar = s1[k] / s0[k]
                std[j] = sqrt(rss[k] / (count[j] - 2) / (s2[k] - s1[k] * tbar))
    return slope_arr, std_arr, count_arr
