"""Okada (1985) surface displacement of a rectangular dislocation in an elastic half-space.

Conventions (all lengths in metres, angles in degrees):

* Observation points ``east``, ``north`` are at the free surface, relative to the CENTRE OF THE TOP
  EDGE of the fault; ``depth`` is the depth of the top edge (positive down, >= 0).
* ``strike`` clockwise from north; the fault dips (``dip``, 0 < dip <= 90) to the RIGHT of the strike
  direction; ``length`` along strike, ``width`` along dip (down-dip from the top edge).
* ``rake`` anticlockwise from the strike direction, motion of the hanging wall relative to the footwall
  (Aki & Richards): 0 = left-lateral, 180 = right-lateral, 90 = reverse (thrust), -90 = normal.
  ``slip`` is the magnitude of the slip vector; ``opening`` the tensile dislocation (positive = opening).
* Returns east, north, up displacement (up positive), same units as ``slip``/``opening``.

Okada's own frame (x along strike, y to the left of strike, fault from x = 0 to L and from the lower
edge at depth d up-dip to width W) is reached by ``x = s + L/2``, ``y = t + W cos(dip)``,
``d = depth + W sin(dip)`` where (s, t) are the along-strike and left-of-strike coordinates of the point.
The strike-, dip-slip and tensile parts are Okada (1985) eqs. (25)-(30) with the Chinnery operator over the
four corners; U1 = slip cos(rake), U2 = slip sin(rake), U3 = opening.

Singular cases, as Okada prescribes (1985 p. 1144 and the DC3D code of Okada 1992):

* cos(dip) = 0 (|cos(dip)| < 1e-6, vertical faults): the I1..I5 terms of eq. (29) replace eq. (28); eq. (28)
  cancels catastrophically as cos(dip) -> 0 (error ~ 1e-16 / cos(dip)^2), so for 1e-6 <= cos(dip) < 1e-3 the
  field is interpolated linearly in dip between cos(dip) = 1e-3 and the vertical fault (error < 1e-7 slip);
* q = 0 (points in the plane of the fault or its extension): ``atan(xi eta / (q R)) = 0``;
* R + eta = 0 (points on the negative extension of the fault edge): ``1/(R + eta) = 0`` and
  ``ln(R + eta) = -ln(R - eta)``; R + xi = 0 likewise gives ``1/(R + xi) = 0``; xi = 0 gives I5 = 0;
* points ON an edge of the fault (possible at the surface for a fault that breaks it, i.e. on the surface
  trace): displacement is discontinuous there; like DC3D (IRET = 2) the function returns 0 at those points.

Coordinates are scaled by s = max(length, width, depth) before the evaluation so that the 1e-6 tolerances of
DC3D are relative: points within 1e-6 s of a singular line are put onto it. The expressions were checked
against Okada (1985) Table 2 (tests/test_models.py).
"""

from __future__ import annotations

import numpy as np

from mimtpy.errors import InputError

#: relative tolerance for zero tests (DC3D uses EPS = 1e-6 on its coordinates)
EPS = 1e-6
#: below this cos(dip) (dip > 89.94 deg) the fault is evaluated by interpolation (see :func:`okada`)
CD_SAFE = 1e-3


def _check_geometry(depth: float, dip: float, length: float, width: float, nu: float, **others: float) -> None:
    bad = [name for name, value in others.items() if not np.isfinite(value)]
    if bad:
        raise InputError(f"okada: {', '.join(bad)} must be finite numbers")
    if not np.isfinite(depth) or depth < 0:
        raise InputError(f"okada: depth of the top edge must be >= 0 m (positive down), got {depth}")
    if not (0 < dip <= 90):
        raise InputError(f"okada: dip must be in (0, 90] degrees (the fault dips to the right of strike), got {dip}")
    if not (length > 0 and width > 0):
        raise InputError(f"okada: length and width must be > 0 m, got length={length}, width={width}")
    if not (-1 < nu < 0.5):
        raise InputError(f"okada: Poisson's ratio nu must be in (-1, 0.5), got {nu}")


def _okada_frame_terms(xi, eta, q, sd, cd, a, u1, u2, u3):
    """The bracketed terms of eqs. (25)-(27) at one corner (xi, eta), summed over the three slip types.

    ``a`` = mu / (lambda + mu) = 1 - 2 nu. Returns (ux, uy, uz) without the -1/(2 pi) factor (tensile sign
    folded in)."""
    ytil = eta * cd + q * sd
    dtil = eta * sd - q * cd
    r = np.sqrt(xi * xi + eta * eta + q * q)
    x = np.sqrt(xi * xi + q * q)
    with np.errstate(divide="ignore", invalid="ignore"):
        # R + eta = 0 on the negative extension of an edge: 1/(R+eta) -> 0, ln(R+eta) -> -ln(R-eta)
        re_zero = (r + eta) <= EPS * np.maximum(r, 1.0)
        inv_re = np.where(re_zero, 0.0, 1.0 / np.where(re_zero, 1.0, r + eta))
        ln_re = np.where(re_zero, -np.log(np.where(re_zero, r - eta, 1.0)), np.log(np.where(re_zero, 1.0, r + eta)))
        rx_zero = (r + xi) <= EPS * np.maximum(r, 1.0)
        inv_rx = np.where(rx_zero, 0.0, 1.0 / np.where(rx_zero, 1.0, r + xi))
        q_zero = np.abs(q) <= EPS
        theta = np.where(q_zero, 0.0, np.arctan(xi * eta / np.where(q_zero, 1.0, q * r)))
        rd = r + dtil
        rd_safe = np.where(rd == 0, 1.0, rd)
        if cd == 0.0:
            i3 = 0.5 * a * (eta / rd_safe + ytil * q / rd_safe**2 - ln_re)
            i1 = -a * xi * q / (2 * rd_safe**2)
            i4 = -a * q / rd_safe
            i5 = -a * xi * sd / rd_safe
        else:
            xi_zero = np.abs(xi) <= EPS
            num = eta * (x + q * cd) + x * (r + x) * sd
            den = xi * (r + x) * cd
            i5 = np.where(xi_zero, 0.0, a * 2 / cd * np.arctan(num / np.where(xi_zero, 1.0, den)))
            i4 = a / cd * (np.log(rd_safe) - sd * ln_re)
            i3 = a * (ytil / (cd * rd_safe) - ln_re) + sd / cd * i4
            i1 = a * (-xi / (cd * rd_safe)) - sd / cd * i5
        i2 = a * (-ln_re) - i3
        ux = uy = uz = 0.0
        if u1 != 0.0:
            ux = ux + u1 * (xi * q / r * inv_re + theta + i1 * sd)
            uy = uy + u1 * (ytil * q / r * inv_re + q * cd * inv_re + i2 * sd)
            uz = uz + u1 * (dtil * q / r * inv_re + q * sd * inv_re + i4 * sd)
        if u2 != 0.0:
            ux = ux + u2 * (q / r - i3 * sd * cd)
            uy = uy + u2 * (ytil * q / r * inv_rx + cd * theta - i1 * sd * cd)
            uz = uz + u2 * (dtil * q / r * inv_rx + sd * theta - i5 * sd * cd)
        if u3 != 0.0:   # tensile: eq. (27) has +U3/(2 pi); written here with the common -1/(2 pi)
            ux = ux - u3 * (q * q / r * inv_re - i3 * sd * sd)
            uy = uy - u3 * (-dtil * q / r * inv_rx - sd * (xi * q / r * inv_re - theta) - i1 * sd * sd)
            uz = uz - u3 * (ytil * q / r * inv_rx + cd * (xi * q / r * inv_re - theta) - i5 * sd * sd)
    return ux, uy, uz


def okada(east, north, *, depth: float, strike: float, dip: float, length: float, width: float, rake: float,
          slip: float, opening: float = 0.0, nu: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """East, north, up surface displacement (m) of a rectangular fault (Okada 1985); see the module docstring
    for every convention. ``east``/``north`` are arrays (any shape) in metres relative to the centre of the
    fault's top edge; the outputs have their broadcast shape (float64)."""
    east, north = np.broadcast_arrays(np.asarray(east, dtype=np.float64), np.asarray(north, dtype=np.float64))
    _check_geometry(depth, dip, length, width, nu, strike=strike, rake=rake, slip=slip, opening=opening)
    args = (east, north, depth, strike, length, width, rake, slip, opening, nu)
    cd = np.cos(np.deg2rad(dip))
    if EPS <= cd < CD_SAFE:
        # eq. (28) loses precision as 1/cos(dip)^2 here: interpolate linearly in dip between the vertical
        # (eq. 29) and the dip where cos(dip) = CD_SAFE (error ~ (CD_SAFE)^2 |d2u/ddip2| / 8, below 1e-7 slip)
        safe = np.rad2deg(np.arccos(CD_SAFE))
        w = (dip - safe) / (90.0 - safe)
        lo, hi = _okada(*args, safe), _okada(*args, 90.0)
        return tuple((1 - w) * a + w * b for a, b in zip(lo, hi, strict=True))
    return _okada(*args, dip)


def _okada(east, north, depth, strike, length, width, rake, slip, opening, nu, dip):
    scale = max(length, width, depth)
    e, n = east / scale, north / scale
    L, W, dtop = length / scale, width / scale, depth / scale
    st, dp = np.deg2rad(strike), np.deg2rad(dip)
    sd, cd = np.sin(dp), np.cos(dp)
    if abs(cd) < EPS:
        cd, sd = 0.0, 1.0
    u1 = slip * np.cos(np.deg2rad(rake))
    u2 = slip * np.sin(np.deg2rad(rake))
    u3 = float(opening)
    ss, cs = np.sin(st), np.cos(st)
    x = e * ss + n * cs + L / 2            # along strike, Okada origin at the lower-left corner
    y = -e * cs + n * ss + W * cd          # left of strike
    d = dtop + W * sd                      # depth of the lower edge
    p = y * cd + d * sd
    q = y * sd - d * cd
    q = np.where(np.abs(q) <= EPS, 0.0, q)
    xis = [np.where(np.abs(v) <= EPS, 0.0, v) for v in (x, x - L)]
    etas = [np.where(np.abs(v) <= EPS, 0.0, v) for v in (p, p - W)]
    ux = np.zeros_like(x)
    uy = np.zeros_like(x)
    uz = np.zeros_like(x)
    for xi, eta, sign in ((xis[0], etas[0], 1.0), (xis[0], etas[1], -1.0), (xis[1], etas[0], -1.0),
                          (xis[1], etas[1], 1.0)):
        fx, fy, fz = _okada_frame_terms(xi, eta, q, sd, cd, 1.0 - 2.0 * nu, u1, u2, u3)
        ux += sign * fx
        uy += sign * fy
        uz += sign * fz
    factor = -1.0 / (2.0 * np.pi)
    ux, uy, uz = ux * factor, uy * factor, uz * factor
    # points on an edge of the fault (at the surface only for a surface-breaking fault): DC3D returns IRET=2
    xx, ee = xis[0] * xis[1], etas[0] * etas[1]
    on_edge = (q == 0) & (((xx <= 0) & (ee == 0)) | ((ee <= 0) & (xx == 0)))
    if on_edge.any():
        ux, uy, uz = (np.where(on_edge, 0.0, c) for c in (ux, uy, uz))
    de = ux * ss - uy * cs
    dn = ux * cs + uy * ss
    return de, dn, uz
