# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Private kernel: the candidate loop of the grid search.

The models are linear in some parameters (Okada: U1 = slip cos(rake), U2 = slip sin(rake), U3 = opening;
Mogi: dvolume; screw: slip_rate). For every distinct GEOMETRY (the other parameters) the kernel evaluates the
unit fields of the model at every point once (Okada 1985, Mogi, screw dislocation: the formulas and
conventions of :mod:`mimtpy.models`, written again as C loops), projects them onto the LOS, whitens them
(Cholesky factor, or none), and keeps their Gram products; every candidate of that geometry then costs a few
flops: g = sum_j c_j b_j, so g.g, g.d and Q^T g follow from the products. Returns the residual sum of
squares of the closed-form generalised least-squares fit of [model (x scale) + ramp] and the scale.

Wrapped and documented by :func:`mimtpy.relax.search.candidate_misfits`; the NumPy reference is
:func:`mimtpy.relax.search.candidate_misfits_numpy`.
"""

import numpy as np
from libc.math cimport sqrt, atan, log, sin, cos, fabs, acos, M_PI

cdef double EPS = 1e-6
cdef double CD_SAFE = 1e-3


cdef struct Okada:
    double scale, L, W, ss, cs, sd, cd, d, a


cdef inline double _snap(double v) noexcept nogil:
    return 0.0 if fabs(v) <= EPS else v


cdef void _corner(double xi, double eta, double q, double sd, double cd, double a, double* f) noexcept nogil:
    """Okada (1985) eqs. (25)-(30) at one corner for unit U1, U2, U3 (see mimtpy.models.okada):
    f[3*j + c] = component c (x, y, z) of slip type j (strike, dip, tensile), without the -1/(2 pi)."""
    cdef double ytil = eta * cd + q * sd
    cdef double dtil = eta * sd - q * cd
    cdef double r = sqrt(xi * xi + eta * eta + q * q)
    cdef double x = sqrt(xi * xi + q * q)
    cdef double rr = r if r > 1.0 else 1.0
    cdef double inv_re, ln_re, inv_rx, theta, rd, i1, i2, i3, i4, i5, num, den, qr
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
    qr = q / r
    f[0] = xi * qr * inv_re + theta + i1 * sd
    f[1] = ytil * qr * inv_re + q * cd * inv_re + i2 * sd
    f[2] = dtil * qr * inv_re + q * sd * inv_re + i4 * sd
    f[3] = qr - i3 * sd * cd
    f[4] = ytil * qr * inv_rx + cd * theta - i1 * sd * cd
    f[5] = dtil * qr * inv_rx + sd * theta - i5 * sd * cd
    f[6] = -(q * qr * inv_re - i3 * sd * sd)
    f[7] = -(-dtil * qr * inv_rx - sd * (xi * qr * inv_re - theta) - i1 * sd * sd)
    f[8] = -(ytil * qr * inv_rx + cd * (xi * qr * inv_re - theta) - i5 * sd * sd)


cdef void _okada_setup(double depth, double strike, double dip, double length, double width, double nu,
                       Okada* c) noexcept nogil:
    cdef double st = strike * M_PI / 180.0, dp = dip * M_PI / 180.0
    c.scale = length
    if width > c.scale:
        c.scale = width
    if depth > c.scale:
        c.scale = depth
    c.L = length / c.scale
    c.W = width / c.scale
    c.sd = sin(dp)
    c.cd = cos(dp)
    if fabs(c.cd) < EPS:
        c.cd = 0.0
        c.sd = 1.0
    c.ss = sin(st)
    c.cs = cos(st)
    c.d = depth / c.scale + c.W * c.sd
    c.a = 1.0 - 2.0 * nu


cdef void _okada_unit(const Okada* c, double e, double n, double* out) noexcept nogil:
    """East, north, up of unit strike-slip, dip-slip and opening: out[3*j + (0, 1, 2)]."""
    cdef double es = e / c.scale, ns = n / c.scale
    cdef double x = es * c.ss + ns * c.cs + c.L / 2.0
    cdef double y = -es * c.cs + ns * c.ss + c.W * c.cd
    cdef double p = y * c.cd + c.d * c.sd
    cdef double q = _snap(y * c.sd - c.d * c.cd)
    cdef double xi0 = _snap(x), xi1 = _snap(x - c.L), et0 = _snap(p), et1 = _snap(p - c.W)
    cdef double f[9]
    cdef double u[9]
    cdef double xx = xi0 * xi1, ee = et0 * et1, k = -1.0 / (2.0 * M_PI)
    cdef int j
    if q == 0.0 and ((xx <= 0.0 and ee == 0.0) or (ee <= 0.0 and xx == 0.0)):
        for j in range(9):       # on an edge of the fault: DC3D's singular case, 0
            out[j] = 0.0
        return
    _corner(xi0, et0, q, c.sd, c.cd, c.a, f)
    for j in range(9):
        u[j] = f[j]
    _corner(xi0, et1, q, c.sd, c.cd, c.a, f)
    for j in range(9):
        u[j] -= f[j]
    _corner(xi1, et0, q, c.sd, c.cd, c.a, f)
    for j in range(9):
        u[j] -= f[j]
    _corner(xi1, et1, q, c.sd, c.cd, c.a, f)
    for j in range(3):
        u[3 * j] = (u[3 * j] + f[3 * j]) * k
        u[3 * j + 1] = (u[3 * j + 1] + f[3 * j + 1]) * k
        u[3 * j + 2] = (u[3 * j + 2] + f[3 * j + 2]) * k
        out[3 * j] = u[3 * j] * c.ss - u[3 * j + 1] * c.cs
        out[3 * j + 1] = u[3 * j] * c.cs + u[3 * j + 1] * c.ss
        out[3 * j + 2] = u[3 * j + 2]


cdef int _unit_fields(int model, const double* p, const double[::1] east, const double[::1] north,
                      const double[::1] le, const double[::1] ln, const double[::1] lu,
                      double[:, ::1] basis) noexcept nogil:
    """LOS of the unit fields of one geometry p at every point into basis[j, :]; returns their number.

    okada p = x0, y0, depth, strike, dip, length, width, nu (fields: U1, U2, U3 = 1); mogi p = x0, y0, depth,
    nu (dvolume = 1); screw p = x0, y0, strike, locking_depth (slip_rate = 1)."""
    cdef Py_ssize_t n = east.shape[0], i
    cdef int j
    cdef Okada lo, hi
    cdef double w = -1.0, safe, cd, x, y, r3, c, s, dist, v
    cdef double u[9]
    cdef double u2[9]
    if model == 0:
        cd = cos(p[4] * M_PI / 180.0)
        if cd >= EPS and cd < CD_SAFE:     # near-vertical: interpolate in dip, as mimtpy.models.okada
            safe = acos(CD_SAFE) * 180.0 / M_PI
            w = (p[4] - safe) / (90.0 - safe)
            _okada_setup(p[2], p[3], safe, p[5], p[6], p[7], &lo)
            _okada_setup(p[2], p[3], 90.0, p[5], p[6], p[7], &hi)
        else:
            _okada_setup(p[2], p[3], p[4], p[5], p[6], p[7], &lo)
        for i in range(n):
            _okada_unit(&lo, east[i] - p[0], north[i] - p[1], u)
            if w >= 0.0:
                _okada_unit(&hi, east[i] - p[0], north[i] - p[1], u2)
                for j in range(9):
                    u[j] = (1.0 - w) * u[j] + w * u2[j]
            for j in range(3):
                basis[j, i] = le[i] * u[3 * j] + ln[i] * u[3 * j + 1] + lu[i] * u[3 * j + 2]
        return 3
    if model == 1:
        c = (1.0 - p[3]) / M_PI
        for i in range(n):
            x = east[i] - p[0]
            y = north[i] - p[1]
            r3 = (x * x + y * y + p[2] * p[2]) ** 1.5
            basis[0, i] = c * (le[i] * x + ln[i] * y + lu[i] * p[2]) / r3
        return 1
    s = p[2] * M_PI / 180.0
    for i in range(n):
        x = east[i] - p[0]
        y = north[i] - p[1]
        dist = x * cos(s) - y * sin(s)
        v = -1.0 / M_PI * atan(dist / p[3])
        basis[0, i] = v * (le[i] * sin(s) + ln[i] * cos(s))
    return 1


cdef void _whiten(double[:, ::1] basis, int nb, const double[:, ::1] chol) noexcept nogil:
    """basis[j] <- L^-1 basis[j] (forward substitution, in place)."""
    cdef Py_ssize_t n = basis.shape[1], i, k
    cdef int j
    cdef double acc
    for j in range(nb):
        for i in range(n):
            acc = basis[j, i]
            for k in range(i):
                acc -= chol[i, k] * basis[j, k]
            basis[j, i] = acc / chol[i, i]


cdef void _products(const double[:, ::1] basis, int nb, const double[:, ::1] qt, const double[::1] dw,
                    double* gram, double* gd, double* qa) noexcept nogil:
    """gram[j*3+k] = b_j . b_k, gd[j] = b_j . d, qa[r*3+j] = (Q^T b_j)_r."""
    cdef Py_ssize_t n = basis.shape[1], m = qt.shape[0], i, r
    cdef int j, k
    cdef double acc
    for j in range(nb):
        for k in range(j, nb):
            acc = 0.0
            for i in range(n):
                acc += basis[j, i] * basis[k, i]
            gram[j * 3 + k] = acc
            gram[k * 3 + j] = acc
        acc = 0.0
        for i in range(n):
            acc += basis[j, i] * dw[i]
        gd[j] = acc
        for r in range(m):
            acc = 0.0
            for i in range(n):
                acc += qt[r, i] * basis[j, i]
            qa[r * 3 + j] = acc


cdef void _fit(double gg, double gd, double aa, double ab, double dd, double bb, int fit_scale, double* rss,
               double* scale) noexcept nogil:
    """RSS and scale of the GLS fit of d by [s * g (s = 1 unless fit_scale)] + span(Q), from the products
    gg = g.g, gd = g.d, aa = |Q^T g|^2, ab = (Q^T g).(Q^T d), dd = d.d, bb = |Q^T d|^2."""
    cdef double gperp, cross
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
        rss[0] = dd - 2.0 * gd + gg - (bb - 2.0 * ab + aa)     # |d - g|^2 - |Q^T (d - g)|^2
    if rss[0] < 0.0:
        rss[0] = 0.0


def model_misfits_kernel(int model, const double[:, ::1] geometry, const Py_ssize_t[::1] order, const Py_ssize_t[::1] bounds,
                         const double[:, ::1] coef, const double[::1] east, const double[::1] north,
                         const double[::1] los_e, const double[::1] los_n, const double[::1] los_u,
                         const double[:, ::1] chol, const double[:, ::1] qt, const double[::1] dw,
                         const double[::1] b, double dd, int fit_scale):
    """Candidates order[bounds[g]:bounds[g+1]] share geometry[g]; coef[k, :] are their linear parameters."""
    cdef Py_ssize_t ng = geometry.shape[0], k = coef.shape[0], n = east.shape[0], m = qt.shape[0]
    cdef Py_ssize_t g, t, c, r
    cdef int nb = 3 if model == 0 else 1, use_chol = chol.shape[0] > 0, j, l
    rss_arr = np.empty(k)
    scale_arr = np.empty(k)
    cdef double[::1] rss = rss_arr, scale = scale_arr
    cdef double[:, ::1] basis = np.empty((3, n))
    qa_arr = np.zeros(max(m, 1) * 3)
    cdef double[::1] qa = qa_arr
    cdef double gram[9]
    cdef double gd3[3]
    cdef double bb = 0.0, gg, gd, aa, ab, ar
    for r in range(m):
        bb += b[r] * b[r]
    with nogil:
        for g in range(ng):
            nb = _unit_fields(model, &geometry[g, 0], east, north, los_e, los_n, los_u, basis)
            if use_chol:
                _whiten(basis, nb, chol)
            _products(basis, nb, qt, dw, gram, gd3, &qa[0])
            for t in range(bounds[g], bounds[g + 1]):
                c = order[t]
                gg = 0.0
                gd = 0.0
                for j in range(nb):
                    gd += coef[c, j] * gd3[j]
                    for l in range(nb):
                        gg += coef[c, j] * coef[c, l] * gram[j * 3 + l]
                aa = 0.0
                ab = 0.0
                for r in range(m):
                    ar = 0.0
                    for j in range(nb):
                        ar += qa[r * 3 + j] * coef[c, j]
                    aa += ar * ar
                    ab += ar * b[r]
                _fit(gg, gd, aa, ab, dd, bb, fit_scale, &rss[c], &scale[c])
    return rss_arr, scale_arr


def prediction_misfits_kernel(const double[:, ::1] pred, const double[:, ::1] chol, const double[:, ::1] qt,
                              const double[::1] dw, const double[::1] b, double dd, int fit_scale):
    """Misfits of given LOS predictions pred[k, :] (one candidate per row)."""
    cdef Py_ssize_t k = pred.shape[0], n = pred.shape[1], m = qt.shape[0], c, i, r
    cdef int use_chol = chol.shape[0] > 0
    rss_arr = np.empty(k)
    scale_arr = np.empty(k)
    cdef double[::1] rss = rss_arr, scale = scale_arr
    cdef double[:, ::1] g = np.empty((1, n))
    qa_arr = np.zeros(max(m, 1) * 3)
    cdef double[::1] qa = qa_arr
    cdef double gram[9]
    cdef double gd3[3]
    cdef double bb = 0.0, aa, ab
    for r in range(m):
        bb += b[r] * b[r]
    with nogil:
        for c in range(k):
            for i in range(n):
                g[0, i] = pred[c, i]
            if use_chol:
                _whiten(g, 1, chol)
            _products(g, 1, qt, dw, gram, gd3, &qa[0])
            aa = 0.0
            ab = 0.0
            for r in range(m):
                aa += qa[r * 3] * qa[r * 3]
                ab += qa[r * 3] * b[r]
            _fit(gram[0], gd3[0], aa, ab, dd, bb, fit_scale, &rss[c], &scale[c])
    return rss_arr, scale_arr
