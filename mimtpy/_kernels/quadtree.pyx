# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Private kernel: NaN-aware statistics of many square tiles of one 2-D array.

Wrapped and documented by :func:`mimtpy.preprocess.quadtree.tile_stats`; the NumPy reference
is :func:`mimtpy.preprocess.quadtree.tile_stats_numpy`.
"""

import numpy as np
from libc.math cimport isnan, sqrt, NAN


def tile_stats_kernel(const double[:, ::1] data, const long long[:, ::1] tiles):
    """(size, valid count, mean, std with ddof 0) of every tile (row, col, length), clipped to the array."""
    cdef Py_ssize_t nt = tiles.shape[0], rows = data.shape[0], cols = data.shape[1]
    cdef Py_ssize_t t, i, j, r0, c0, r1, c1
    size_arr = np.zeros(nt, dtype=np.int64)
    count_arr = np.zeros(nt, dtype=np.int64)
    mean_arr = np.full(nt, np.nan, dtype=np.float64)
    std_arr = np.full(nt, np.nan, dtype=np.float64)
    cdef long long[::1] size = size_arr, count = count_arr
    cdef double[::1] mean = mean_arr, std = std_arr
    cdef double s, v, m, ss
    cdef long long n
    with nogil:
        for t in range(nt):
            r0 = tiles[t, 0]
            c0 = tiles[t, 1]
            r1 = min(r0 + tiles[t, 2], rows)
            c1 = min(c0 + tiles[t, 2], cols)
            if r1 <= r0 or c1 <= c0:
                continue
            size[t] = (r1 - r0) * (c1 - c0)
            s = 0.0
            n = 0
            for i in range(r0, r1):
                for j in range(c0, c1):
                    v = data[i, j]
                    if not isnan(v):
                        s += v
                        n += 1
            count[t] = n
            if n == 0:
                continue
            m = s / n
            ss = 0.0
            for i in range(r0, r1):
                for j in range(c0, c1):
                    v = data[i, j]
                    if not isnan(v):
                        ss += (v - m) * (v - m)
            mean[t] = m
            std[t] = sqrt(ss / n)
    return size_arr, count_arr, mean_arr, std_arr
