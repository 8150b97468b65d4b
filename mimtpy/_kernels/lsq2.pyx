# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Private kernel: per-pixel least squares with two unknowns over T observations.

Wrapped and documented by :func:`mimtpy.analysis.horzvert.solve_two`; the NumPy reference is
:func:`mimtpy.analysis.horzvert.solve_two_numpy`.
"""

import numpy as np
from libc.math cimport isnan, sqrt, NAN


def solve_two_kernel(const float[:, ::1] obs, const float[:, ::1] sigma, const float[:, ::1] g0,
                     const float[:, ::1] g1, bint weighted):
    cdef Py_ssize_t n = obs.shape[0], p = obs.shape[1], t, j
    x0_arr = np.full(p, np.nan, np.float32)
    x1_arr = np.full(p, np.nan, np.float32)
    s0_arr = np.full(p, np.nan, np.float32)
    s1_arr = np.full(p, np.nan, np.float32)
    cond_arr = np.full(p, np.nan, np.float32)
    cdef float[::1] x0 = x0_arr, x1 = x1_arr, s0 = s0_arr, s1 = s1_arr, cond = cond_arr
    cdef double a, b, c, r0, r1, pa, pb, pc, w, d, h, u, det, pdet, mean, root
    cdef int count
    with nogil:
        for j in range(p):
            a = b = c = r0 = r1 = pa = pb = pc = 0.0
            count = 0
            for t in range(n):
                d = obs[t, j]
                h = g0[t, j]
                u = g1[t, j]
                if isnan(d) or isnan(h) or isnan(u):
                    continue
                if weighted:
                    w = sigma[t, j]
                    if isnan(w) or w <= 0:
                        continue
                    w = 1.0 / (w * w)
                else:
                    w = 1.0
                count += 1
                a += w * h * h
                b += w * h * u
                c += w * u * u
                r0 += w * h * d
                r1 += w * u * d
                pa += h * h
                pb += h * u
                pc += u * u
            if count < 2:
                continue
            det = a * c - b * b
            pdet = pa * pc - pb * pb
            if det == 0 or not (pdet > 1e-12 * pa * pc):
                continue
            x0[j] = (c * r0 - b * r1) / det
            x1[j] = (a * r1 - b * r0) / det
            if weighted:
                s0[j] = sqrt(c / det)
                s1[j] = sqrt(a / det)
            mean = (pa + pc) / 2
            root = sqrt(((pa - pc) / 2) * ((pa - pc) / 2) + pb * pb)
            cond[j] = sqrt((mean + root) / (mean - root))
    return x0_arr, x1_arr, s0_arr, s1_arr, cond_arr
