# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Private kernel: least-squares network inversion of interferograms, group by group.

Wrapped and documented by :func:`mimtpy.inversion.solve.solve_network`; the NumPy reference is
:func:`mimtpy.inversion.solve.solve_network_numpy`.

Unknowns: the displacement (phase) of dates 1..N-1 relative to date 0 (``nb = N - 1`` band columns),
then ``p`` model parameters (NSBAS: velocity, constant[, sin, cos]). Rows: one per valid interferogram
(``-s`` at date i, ``+s`` at date j, ``s`` = sqrt weight) and, for NSBAS, one constraint row per date.
The weighted system is reduced to an upper-triangular R by Givens rotations, row by row (a QR
factorisation, never the normal equations), keeping R in its envelope (band) plus the dense model
columns, so that the cost follows the network's bandwidth. Columns whose pivot stays below a tolerance
(1e-10 x the column norm) are free: they are the last date of a sub-network not connected to date 0,
and are set to 0; for SBAS the offsets of those sub-networks are then chosen to minimise the norm of
the interval velocities (MintPy's minimum-norm velocity, Berardino et al. 2002).

Every group of pixels shares one mask of valid interferograms and (unweighted) one factorisation:
the rotations are applied to the right-hand sides of all its pixels together.
"""

import numpy as np
from libc.math cimport isnan, sqrt, fabs, hypot, cos, sin
from libc.stdlib cimport malloc, free


cdef inline int _find(int* parent, int a) noexcept nogil:
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


cdef inline void _rotate(double* R, double* w, double* Z, double* wr, int n, int c, int hi, int bstart,
                         int g) noexcept nogil:
    """Rotate the working row (w, wr) into the installed R row c: columns c+1..hi and bstart..n-1
    (the band part and the model columns); w[c] becomes 0."""
    cdef double rc = R[c * n + c], wc = w[c], h, cs, sn, t1, t2
    cdef int q, k
    h = sqrt(rc * rc + wc * wc)
    cs = rc / h
    sn = wc / h
    R[c * n + c] = h
    w[c] = 0.0
    for q in range(c + 1, hi + 1):
        t1 = R[c * n + q]
        t2 = w[q]
        R[c * n + q] = cs * t1 + sn * t2
        w[q] = cs * t2 - sn * t1
    for q in range(bstart, n):
        t1 = R[c * n + q]
        t2 = w[q]
        R[c * n + q] = cs * t1 + sn * t2
        w[q] = cs * t2 - sn * t1
    for k in range(g):
        t1 = Z[c * g + k]
        t2 = wr[k]
        Z[c * g + k] = cs * t1 + sn * t2
        wr[k] = cs * t2 - sn * t1


cdef void _add_row(double* R, int* rend, char* installed, double* w, double* Z, double* wr, const double* tol,
                   int n, int nb, int a, int wend, int g) noexcept nogil:
    """Reduce one working row (band entries a..wend, border nb..n-1) into R; w is zero afterwards."""
    cdef int c = a, q, k, hi
    cdef bint done = False
    # band columns
    while c <= wend and c < nb:
        if w[c] == 0.0:
            c += 1
            continue
        if not installed[c]:
            if fabs(w[c]) <= tol[c]:
                w[c] = 0.0
                c += 1
                continue
            for q in range(c, wend + 1):
                R[c * n + q] = w[q]
                w[q] = 0.0
            for q in range(nb, n):
                R[c * n + q] = w[q]
                w[q] = 0.0
            rend[c] = wend
            installed[c] = 1
            for k in range(g):
                Z[c * g + k] = wr[k]
            done = True
            break
        if rend[c] < wend:
            for q in range(rend[c] + 1, wend + 1):
                R[c * n + q] = 0.0
            rend[c] = wend
        elif rend[c] > wend:
            wend = rend[c]
        _rotate(R, w, Z, wr, n, c, wend, nb, g)
        c += 1
    if done:
        return
    for q in range(a, (wend if wend < nb else nb - 1) + 1):
        w[q] = 0.0
    # border (model) columns: dense
    for c in range(nb, n):
        if w[c] == 0.0:
            continue
        if not installed[c]:
            if fabs(w[c]) <= tol[c]:
                w[c] = 0.0
                continue
            for q in range(c, n):
                R[c * n + q] = w[q]
                w[q] = 0.0
            rend[c] = n - 1
            installed[c] = 1
            for k in range(g):
                Z[c * g + k] = wr[k]
            return
        _rotate(R, w, Z, wr, n, c, c, c + 1, g)
    for q in range(nb, n):
        w[q] = 0.0


cdef void _solve_group(const float[:, ::1] obs, const float[:, ::1] sqrtw, bint weighted,
                       const int[::1] ifg_i, const int[::1] ifg_j, int ndate,
                       const double[:, ::1] border, double cons_w, bint nsbas, const double[::1] dt,
                       const int[::1] rows, const long[::1] pix, double[:, ::1] ts_out, double[:, ::1] model_out,
                       double[::1] tcoh, double[::1] rms, int[::1] ncomp_out,
                       double* R, int* rend, char* installed, double* w, double* Z, double* wr,
                       double* tol, int* parent, int* label, int* unk, char* valid, double* Rs, double* zs,
                       double* ws, double* wsr) noexcept nogil:
    cdef int m = obs.shape[1], p = border.shape[1] if nsbas else 0
    cdef int nb = ndate - 1, n = nb + p, g = pix.shape[0]
    cdef int r, i, j, k, c, q, a, d, ncomp, nunk, l, root
    cdef long px
    cdef double s, y, e, sc, ss, se, inv
    cdef int nvalid
    px = pix[0]
    # valid rows of this group (all its pixels share them)
    nvalid = 0
    for r in range(m):
        valid[r] = not isnan(obs[px, r])
        if valid[r] and weighted:
            valid[r] = sqrtw[px, r] > 0 and not isnan(sqrtw[px, r])
        nvalid += valid[r]
    # sub-networks (union-find over dates)
    for d in range(ndate):
        parent[d] = d
    for r in range(m):
        if valid[r]:
            i = _find(parent, ifg_i[r])
            j = _find(parent, ifg_j[r])
            if i != j:
                parent[i if i > j else j] = i if i < j else j
    ncomp = 0
    for d in range(ndate):
        root = _find(parent, d)
        if root == d:
            label[d] = ncomp
            ncomp += 1
        else:
            label[d] = label[root]
    # column norms -> rank tolerances
    for c in range(n):
        tol[c] = 0.0
        installed[c] = 0
        rend[c] = -1
        w[c] = 0.0
    for r in range(m):
        if valid[r]:
            s = sqrtw[px, r] if weighted else 1.0
            if ifg_i[r] > 0:
                tol[ifg_i[r] - 1] += s * s
            tol[ifg_j[r] - 1] += s * s
    if nsbas:
        for d in range(ndate):
            if d > 0:
                tol[d - 1] += cons_w * cons_w
            for q in range(p):
                tol[nb + q] += (cons_w * border[d, q]) * (cons_w * border[d, q])
    for c in range(n):
        tol[c] = 1e-10 * sqrt(tol[c])
    # QR by Givens rotations, one row at a time, in the order of their leading column
    for l in range(rows.shape[0]):
        r = rows[l]
        if r < m:
            if not valid[r]:
                continue
            s = sqrtw[px, r] if weighted else 1.0
            i = ifg_i[r]
            j = ifg_j[r]
            if i > 0:
                w[i - 1] = -s
                a = i - 1
            else:
                a = j - 1
            w[j - 1] = s
            for k in range(g):
                wr[k] = s * obs[pix[k], r]
            _add_row(R, rend, installed, w, Z, wr, tol, n, nb, a, j - 1, g)
        elif nsbas:
            d = r - m
            for q in range(p):
                w[nb + q] = cons_w * border[d, q]
            for k in range(g):
                wr[k] = 0.0
            if d > 0:
                w[d - 1] = cons_w
                _add_row(R, rend, installed, w, Z, wr, tol, n, nb, d - 1, d - 1, g)
            else:
                _add_row(R, rend, installed, w, Z, wr, tol, n, nb, nb, nb - 1, g)
    # back substitution, in place in Z
    for c in range(n - 1, -1, -1):
        if not installed[c]:
            for k in range(g):
                Z[c * g + k] = 0.0
            continue
        if c < nb:
            for q in range(c + 1, rend[c] + 1):
                s = R[c * n + q]
                if s != 0.0:
                    for k in range(g):
                        Z[c * g + k] -= s * Z[q * g + k]
        for q in range(nb if nb > c else c + 1, n):
            s = R[c * n + q]
            if s != 0.0:
                for k in range(g):
                    Z[c * g + k] -= s * Z[q * g + k]
        inv = 1.0 / R[c * n + c]
        for k in range(g):
            Z[c * g + k] *= inv
    # SBAS: offsets of the sub-networks not holding date 0, minimising the interval velocities
    nunk = 0
    if not nsbas and ncomp > 1:
        for d in range(ncomp):
            unk[d] = -1
        for d in range(ndate):
            if label[d] != label[0] and unk[label[d]] < 0:
                unk[label[d]] = nunk
                nunk += 1
    for k in range(g):
        px = pix[k]
        ts_out[px, 0] = 0.0
        for d in range(1, ndate):
            ts_out[px, d] = Z[(d - 1) * g + k]
        if nunk > 0:
            for c in range(nunk):
                installed[c] = 0
                rend[c] = nunk - 1
                ws[c] = 0.0
            for c in range(nunk):
                tol[c] = 0.0
            for l in range(ndate - 1):
                if label[l] != label[l + 1]:
                    inv = 1.0 / (dt[l] * dt[l])
                    if unk[label[l + 1]] >= 0:
                        tol[unk[label[l + 1]]] += inv
                    if unk[label[l]] >= 0:
                        tol[unk[label[l]]] += inv
            for c in range(nunk):
                tol[c] = 1e-10 * sqrt(tol[c])
            for l in range(ndate - 1):
                if label[l] == label[l + 1]:
                    continue
                inv = 1.0 / dt[l]
                a = nunk
                if unk[label[l + 1]] >= 0:
                    ws[unk[label[l + 1]]] = inv
                    a = unk[label[l + 1]]
                if unk[label[l]] >= 0:
                    ws[unk[label[l]]] = -inv
                    if unk[label[l]] < a:
                        a = unk[label[l]]
                wsr[0] = -(ts_out[px, l + 1] - ts_out[px, l]) * inv
                _add_row(Rs, rend, installed, ws, zs, wsr, tol, nunk, nunk, a, nunk - 1, 1)
            for c in range(nunk - 1, -1, -1):
                if not installed[c]:
                    zs[c] = 0.0
                    continue
                for q in range(c + 1, nunk):
                    zs[c] -= Rs[c * nunk + q] * zs[q]
                zs[c] /= Rs[c * nunk + c]
            for d in range(ndate):
                if unk[label[d]] >= 0:
                    ts_out[px, d] += zs[unk[label[d]]]
        if nsbas:
            for q in range(p):
                model_out[px, q] = Z[(nb + q) * g + k]
        # residuals of the interferograms
        sc = 0.0
        ss = 0.0
        se = 0.0
        for r in range(m):
            if valid[r]:
                e = obs[px, r] - (ts_out[px, ifg_j[r]] - ts_out[px, ifg_i[r]])
                sc += cos(e)
                ss += sin(e)
                se += e * e
        if nvalid > 0:
            tcoh[px] = hypot(sc, ss) / nvalid
            rms[px] = sqrt(se / nvalid)
        ncomp_out[px] = ncomp


def solve_groups_kernel(const float[:, ::1] obs, const float[:, ::1] sqrtw, bint weighted,
                        const int[::1] ifg_i, const int[::1] ifg_j, int ndate,
                        const double[:, ::1] border, double cons_w, bint nsbas, const double[::1] dt,
                        const int[::1] rows, const long[::1] group_ptr, const long[::1] order, long g0, long g1,
                        double[:, ::1] ts_out, double[:, ::1] model_out, double[::1] tcoh, double[::1] rms,
                        int[::1] ncomp_out):
    """Solve groups g0..g1-1 (pixels order[group_ptr[g]:group_ptr[g+1]]); outputs filled in place.
    ``rows``: the order in which rows are reduced (r < m: interferogram r; r >= m: NSBAS constraint of date
    r - m), by leading column so that fill-in stays in the band. Releases the GIL for the whole loop."""
    cdef int m = obs.shape[1], p = border.shape[1] if nsbas else 0
    cdef int nb = ndate - 1, n = nb + p
    cdef long gmax = 1, gi, size
    for gi in range(g0, g1):
        size = group_ptr[gi + 1] - group_ptr[gi]
        if size > gmax:
            gmax = size
    cdef double* R = <double*> malloc(n * n * sizeof(double))
    cdef double* Z = <double*> malloc(n * gmax * sizeof(double))
    cdef double* w = <double*> malloc(n * sizeof(double))
    cdef double* wr = <double*> malloc(gmax * sizeof(double))
    cdef double* tol = <double*> malloc(n * sizeof(double))
    cdef double* Rs = <double*> malloc(ndate * ndate * sizeof(double))
    cdef double* zs = <double*> malloc(ndate * sizeof(double))
    cdef double* ws = <double*> malloc(ndate * sizeof(double))
    cdef double* wsr = <double*> malloc(sizeof(double))
    cdef int* rend = <int*> malloc(n * sizeof(int))
    cdef int* parent = <int*> malloc(ndate * sizeof(int))
    cdef int* label = <int*> malloc(ndate * sizeof(int))
    cdef int* unk = <int*> malloc(ndate * sizeof(int))
    cdef char* installed = <char*> malloc(n + ndate)
    cdef char* valid = <char*> malloc(m)
    if (R == NULL or Z == NULL or w == NULL or wr == NULL or tol == NULL or Rs == NULL or zs == NULL
            or ws == NULL or wsr == NULL or rend == NULL or parent == NULL or label == NULL or unk == NULL
            or installed == NULL or valid == NULL):
        free(R); free(Z); free(w); free(wr); free(tol); free(Rs); free(zs); free(ws); free(wsr)
        free(rend); free(parent); free(label); free(unk); free(installed); free(valid)
        raise MemoryError("network kernel: cannot allocate work arrays")
    try:
        with nogil:
            for gi in range(g0, g1):
                _solve_group(obs, sqrtw, weighted, ifg_i, ifg_j, ndate, border, cons_w, nsbas, dt, rows,
                             order[group_ptr[gi]:group_ptr[gi + 1]], ts_out, model_out, tcoh, rms, ncomp_out,
                             R, rend, installed, w, Z, wr, tol, parent, label, unk, valid, Rs, zs, ws, wsr)
    finally:
        free(R); free(Z); free(w); free(wr); free(tol); free(Rs); free(zs); free(ws); free(wsr)
        free(rend); free(parent); free(label); free(unk); free(installed); free(valid)
