# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Private kernel: NaN-aware straight-line fit of every column of a (epoch, pixel) block.

Wrapped and documented by :func:`mimtpy.core.linfit.fit_lines`; the NumPy reference is
:func:`mimtpy.core.linfit.fit_lines_numpy`.
"""

import numpy as np
from libc.math cimport isnan, sqrt, NAN


def fit_lines_kernel(const float[:, ::1] y, const double[::1] t, int min_count):
    cdef Py_ssize_t n = y.shape[0], p = y.shape[1], i, j
    cdef double[::1] s0 = np.zeros(p), s1 = np.zeros(p), s2 = np.zeros(p)
    cdef double[::1] sy = np.zeros(p), sty = np.zeros(p), rss = np.zeros(p)
    slope_arr = np.full(p, np.nan, dtype=np.float64)
    std_arr = np.full(p, np.nan, dtype=np.float64)
    count_arr = np.zeros(p, dtype=np.int32)
    cdef double[::1] slope = slope_arr, std = std_arr, icpt = np.zeros(p)
    cdef int[::1] count = count_arr
    cdef double ti, yi, det, r, tbar
    with nogil:
        for i in range(n):
            ti = t[i]
            for j in range(p):
                yi = y[i, j]
                if not isnan(yi):
                    s0[j] += 1.0
                    s1[j] += ti
                    s2[j] += ti * ti
                    sy[j] += yi
                    sty[j] += ti * yi
        for j in range(p):
            count[j] = <int>s0[j]
            if count[j] < min_count or count[j] < 2:
                continue
            det = s0[j] * s2[j] - s1[j] * s1[j]
            if det <= 1e-12 * s0[j] * s2[j]:
                continue
            slope[j] = (s0[j] * sty[j] - s1[j] * sy[j]) / det
            icpt[j] = (sy[j] - slope[j] * s1[j]) / s0[j]
        for i in range(n):
            ti = t[i]
            for j in range(p):
                yi = y[i, j]
                if not isnan(yi) and not isnan(slope[j]):
                    r = yi - icpt[j] - slope[j] * ti
                    rss[j] += r * r
        for j in range(p):
            if isnan(slope[j]) or count[j] < 3:
                continue
            tbar = s1[j] / s0[j]
            std[j] = sqrt(rss[j] / (count[j] - 2) / (s2[j] - s1[j] * tbar))
    return slope_arr, std_arr, count_arr
