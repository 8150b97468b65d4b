# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Private kernel: the candidate loop of the grid search.

For every candidate it evaluates the forward model at every point (Okada 1985, Mogi, screw dislocation:
the formulas and conventions of :mod:`mimtpy.models`, written again as C loops), projects it onto the LOS,
whitens it (per-point weights or a Cholesky factor), and returns the residual sum of squares of the
closed-form generalised least-squares fit of [model (x scale) + ramp] to the data, and the scale.

Wrapped and documented by :func:`mimtpy.relax.search.candidate_misfits`; the NumPy reference is
:func:`mimtpy.relax.search.candidate_misfits_numpy`.
"""

import numpy as np
from libc.math cimport sqrt, atan, log, log1p, sin, cos, fabs, acos, M_PI

cdef double EPS = 1e-6
cdef double CD_SAFE = 1e-3


cdef inline double _snap(double v) noexcept nogil:
    return 0.0 if fabs(v) <= EPS else v


cdef void _corner(double xi, double eta, double q, double sd, double cd, double a, double u1, double u2,
                  double u3, double* out) noexcept nogil:
    """Okada (1985) eqs. (25)-(30) at one corner, summed over slip types (see mimtpy.models.okada)."""
    cdef double ytil = eta * cd + q * sd
    cdef double dtil = eta * sd - q * cd
    cdef double r = sqrt(xi * xi + eta * eta + q * q)
    cdef double x = sqrt(xi * xi + q * q)
    cdef double rr = r if r > 1.0 else 1.0
    cdef double inv_re, ln_re, inv_rx, theta, rd, i1, i2, i3, i4, i5, num, den
    if r + eta <= EPS * rr:
        inv_re = 0.0
        ln_re = -log(r - eta)
    else:
        inv_re = 1.0 / (r + eta)
        ln_re = log(r + eta)
    if r + xi <= EPS * rr:
        inv_rx = 0.0
    else:
        inv_rx = 1.0 / (r + xi)
    if fabs(q) <= EPS:
        theta = 0.0
    else:
        theta = atan(xi * eta / (q * r))
    rd = r + dtil
    if rd == 0.0:
        rd = 1.0
    if cd == 0.0:
        i3 = 0.5 * a * (eta / rd + ytil * q / (rd * rd) - ln_re)
        i1 = -a * xi * q / (2.0 * rd * rd)
        i4 = -a * q / rd
        i5 = -a * xi * sd / rd
    else:
        if fabs(xi) <= EPS:
            i5 = 0.0
        else:
            num = eta * (x + q * cd) + x * (r + x) * sd
            den = xi * (r + x) * cd
            i5 = a * 2.0 / cd * atan(num / den)
        i4 = a / cd * (log(rd) - sd * ln_re)
        i3 = a * (ytil / (cd * rd) - ln_re) + sd / cd * i4
        i1 = a * (-xi / (cd * rd)) - sd / cd * i5
    i2 = a * (-ln_re) - i3
    out[0] = 0.0
    out[1] = 0.0
    out[2] = 0.0
    if u1 != 0.0:
        out[0] += u1 * (xi * q / r * inv_re + theta + i1 * sd)
        out[1] += u1 * (ytil * q / r * inv_re + q * cd * inv_re + i2 * sd)
        out[2] += u1 * (dtil * q / r * inv_re + q * sd * inv_re + i4 * sd)
    if u2 != 0.0:
        out[0] += u2 * (q / r - i3 * sd * cd)
        out[1] += u2 * (ytil * q / r * inv_rx + cd * theta - i1 * sd * cd)
        out[2] += u2 * (dtil * q / r * inv_rx + sd * theta - i5 * sd * cd)
    if u3 != 0.0:
        out[0] -= u3 * (q * q / r * inv_re - i3 * sd * sd)
        out[1] -= u3 * (-dtil * q / r * inv_rx - sd * (xi * q / r * inv_re - theta) - i1 * sd * sd)
        out[2] -= u3 * (ytil * q / r * inv_rx + cd * (xi * q / r * inv_re - theta) - i5 * sd * sd)


cdef void _okada_dip(double e, double n, double depth, double strike, double dip, double length, double width,
                     double rake, double slip, double opening, double nu, double* out) noexcept nogil:
    cdef double scale = length
    if width > scale:
        scale = width
    if depth > scale:
        scale = depth
    cdef double L = length / scale, W = width / scale, dtop = depth / scale
    cdef double st = strike * M_PI / 180.0, dp = dip * M_PI / 180.0
    cdef double sd = sin(dp), cd = cos(dp)
    if fabs(cd) < EPS:
        cd = 0.0
        sd = 1.0
    cdef double u1 = slip * cos(rake * M_PI / 180.0), u2 = slip * sin(rake * M_PI / 180.0), u3 = opening
    cdef double ss = sin(st), cs = cos(st)
    cdef double es = e / scale, ns = n / scale
    cdef double x = es * ss + ns * cs + L / 2.0
    cdef double y = -es * cs + ns * ss + W * cd
    cdef double d = dtop + W * sd
    cdef double p = y * cd + d * sd
    cdef double q = _snap(y * sd - d * cd)
    cdef double xi0 = _snap(x), xi1 = _snap(x - L), et0 = _snap(p), et1 = _snap(p - W)
    cdef double a = 1.0 - 2.0 * nu
    cdef double f[3]
    cdef double ux = 0.0, uy = 0.0, uz = 0.0, xx, ee
    _corner(xi0, et0, q, sd, cd, a, u1, u2, u3, f)
    ux += f[0]; uy += f[1]; uz += f[2]
    _corner(xi0, et1, q, sd, cd, a, u1, u2, u3, f)
    ux -= f[0]; uy -= f[1]; uz -= f[2]
    _corner(xi1, et0, q, sd, cd, a, u1, u2, u3, f)
    ux -= f[0]; uy -= f[1]; uz -= f[2]
    _corner(xi1, et1, q, sd, cd, a, u1, u2, u3, f)
    ux += f[0]; uy += f[1]; uz += f[2]
    ux *= -1.0 / (2.0 * M_PI)
    uy *= -1.0 / (2.0 * M_PI)
    uz *= -1.0 / (2.0 * M_PI)
    xx = xi0 * xi1
    ee = et0 * et1
    if q == 0.0 and ((xx <= 0.0 and ee == 0.0) or (ee <= 0.0 and xx == 0.0)):
        ux = 0.0
        uy = 0.0
        uz = 0.0
    out[0] = ux * ss - uy * cs
    out[1] = ux * cs + uy * ss
    out[2] = uz


cdef void _okada(double e, double n, double depth, double strike, double dip, double length, double width,
                 double rake, double slip, double opening, double nu, double* out) noexcept nogil:
    """mimtpy.models.okada at one point (near-vertical faults interpolated in dip, as there)."""
    cdef double cd = cos(dip * M_PI / 180.0), safe, w
    cdef double lo[3]
    cdef double hi[3]
    if cd >= EPS and cd < CD_SAFE:
        safe = acos(CD_SAFE) * 180.0 / M_PI
        w = (dip - safe) / (90.0 - safe)
        _okada_dip(e, n, depth, strike, safe, length, width, rake, slip, opening, nu, lo)
        _okada_dip(e, n, depth, strike, 90.0, length, width, rake, slip, opening, nu, hi)
        out[0] = (1 - w) * lo[0] + w * hi[0]
        out[1] = (1 - w) * lo[1] + w * hi[1]
        out[2] = (1 - w) * lo[2] + w * hi[2]
    else:
        _okada_dip(e, n, depth, strike, dip, length, width, rake, slip, opening, nu, out)


cdef void _predict(int model, const double* p, double e, double n, double* out) noexcept nogil:
    """Model ``model`` (0 okada, 1 mogi, 2 screw) with parameters p = [x0, y0, model params...]."""
    cdef double x = e - p[0], y = n - p[1], r3, c, s, dist, v
    if model == 0:
        _okada(x, y, p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], out)
    elif model == 1:
        r3 = (x * x + y * y + p[2] * p[2]) ** 1.5
        c = (1.0 - p[4]) * p[3] / M_PI
        out[0] = c * x / r3
        out[1] = c * y / r3
        out[2] = c * p[2] / r3
    else:
        s = p[2] * M_PI / 180.0
        dist = x * cos(s) - y * sin(s)
        v = -p[3] / M_PI * atan(dist / p[4])
        out[0] = v * sin(s)
        out[1] = v * cos(s)
        out[2] = 0.0


cdef void _fit(double* gw, Py_ssize_t n, const double[:, ::1] qt, const double[::1] dw, const double[::1] b,
               double dd, double bb, int fit_scale, double* a, double* rss, double* scale) noexcept nogil:
    """RSS and scale of the GLS fit of dw by [s * gw (s = 1 unless fit_scale)] + span(Q)."""
    cdef Py_ssize_t m = qt.shape[0], i, j
    cdef double gg = 0.0, gd = 0.0, aa = 0.0, ab = 0.0, gperp, cross, acc
    for i in range(n):
        gg += gw[i] * gw[i]
        gd += gw[i] * dw[i]
    for j in range(m):
        acc = 0.0
        for i in range(n):
            acc += qt[j, i] * gw[i]
        a[j] = acc
        aa += acc * acc
        ab += acc * b[j]
    if fit_scale:
        gperp = gg - aa
        cross = gd - ab
        if gperp <= 1e-300 or gperp <= 1e-14 * gg:
            scale[0] = 0.0
            rss[0] = dd - bb
        else:
            scale[0] = cross / gperp
            rss[0] = dd - bb - cross * cross / gperp
    else:
        scale[0] = 1.0
        # |d - g|^2 - |Q^T (d - g)|^2
        rss[0] = dd - 2.0 * gd + gg - (bb - 2.0 * ab + aa)
    if rss[0] < 0.0:
        rss[0] = 0.0


def model_misfits_kernel(int model, const double[:, ::1] params, const double[::1] east, const double[::1] north,
                         const double[::1] los_e, const double[::1] los_n, const double[::1] los_u,
                         const double[::1] weight, const double[:, ::1] chol, const double[:, ::1] qt,
                         const double[::1] dw, const double[::1] b, double dd, int fit_scale):
    cdef Py_ssize_t k = params.shape[0], n = east.shape[0], m = qt.shape[0], c, i, j
    cdef int use_chol = chol.shape[0] > 0
    rss_arr = np.empty(k)
    scale_arr = np.empty(k)
    g_arr = np.empty(n)
    a_arr = np.empty(max(m, 1))
    cdef double[::1] rss = rss_arr, scale = scale_arr, g = g_arr, a = a_arr
    cdef double u[3]
    cdef double bb = 0.0, acc
    for j in range(m):
        bb += b[j] * b[j]
    with nogil:
        for c in range(k):
            for i in range(n):
                _predict(model, &params[c, 0], east[i], north[i], u)
                g[i] = los_e[i] * u[0] + los_n[i] * u[1] + los_u[i] * u[2]
            if use_chol:      # forward substitution L gw = g, in place
                for i in range(n):
                    acc = g[i]
                    for j in range(i):
                        acc -= chol[i, j] * g[j]
                    g[i] = acc / chol[i, i]
            else:
                for i in range(n):
                    g[i] *= weight[i]
            _fit(&g[0], n, qt, dw, b, dd, bb, fit_scale, &a[0], &rss[c], &scale[c])
    return rss_arr, scale_arr


def prediction_misfits_kernel(const double[:, ::1] pred, const double[::1] weight, const double[:, ::1] chol,
                              const double[:, ::1] qt, const double[::1] dw, const double[::1] b, double dd,
                              int fit_scale):
    cdef Py_ssize_t k = pred.shape[0], n = pred.shape[1], m = qt.shape[0], c, i, j
    cdef int use_chol = chol.shape[0] > 0
    rss_arr = np.empty(k)
    scale_arr = np.empty(k)
    g_arr = np.empty(n)
    a_arr = np.empty(max(m, 1))
    cdef double[::1] rss = rss_arr, scale = scale_arr, g = g_arr, a = a_arr
    cdef double bb = 0.0, acc
    for j in range(m):
        bb += b[j] * b[j]
    with nogil:
        for c in range(k):
            if use_chol:
                for i in range(n):
                    acc = pred[c, i]
                    for j in range(i):
                        acc -= chol[i, j] * g[j]
                    g[i] = acc / chol[i, i]
            else:
                for i in range(n):
                    g[i] = pred[c, i] * weight[i]
            _fit(&g[0], n, qt, dw, b, dd, bb, fit_scale, &a[0], &rss[c], &scale[c])
    return rss_arr, scale_arr
