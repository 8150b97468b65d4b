"""Forward models against published values, analytic limits and a peer implementation of DC3D."""

from __future__ import annotations

import numpy as np
import pytest

from mimtpy.errors import InputError
from mimtpy.models import MODELS, mogi, okada, screw_dislocation

# Okada (1985), BSSA 75(4), Table 2 "Checklist for numerical calculations" (p. 1149); the same surface values
# (Z = 0) are the first rows of the DC3D check list of Okada (1992), BSSA 82(2), Table 2 (x=2, y=3, depth=4,
# dip=70, AL1=0, AL2=3, AW1=0, AW2=2, nu=0.25). Okada's frame: x along strike, y to the left of strike, the
# fault from x=0 to L=3 and from its lower edge at depth d up-dip over W=2. Case 4 (dip=-90 in the paper) is
# the same plane as dip=90 with the lower edge at d=6 and the strike-slip reversed (rake 180), as in
# F. Beauducel's okada85 check list. Values (ux, uy, uz) per unit dislocation, 4 significant figures.
TABLE2 = [
    # x, y, d, dip, mode, rake, (ux, uy, uz)
    (2, 3, 4, 70, "strike", 0, (-8.689e-3, -4.298e-3, -2.747e-3)),
    (2, 3, 4, 70, "dip", 90, (-4.682e-3, -3.527e-2, -3.564e-2)),
    (2, 3, 4, 70, "tensile", 0, (-2.660e-4, +1.056e-2, +3.214e-3)),
    (0, 0, 4, 90, "strike", 0, (0.0, +5.253e-3, 0.0)),
    (0, 0, 4, 90, "dip", 90, (0.0, 0.0, 0.0)),
    (0, 0, 4, 90, "tensile", 0, (+1.223e-2, 0.0, -1.606e-2)),
    (0, 0, 6, 90, "strike", 180, (0.0, -1.303e-3, 0.0)),
    (0, 0, 6, 90, "dip", 90, (0.0, 0.0, 0.0)),
    (0, 0, 6, 90, "tensile", 0, (+3.507e-3, 0.0, -7.740e-3)),
]


def _table_call(x, y, d, dip, mode, rake, L=3.0, W=2.0, scale=1.0):
    """Okada's table geometry in our convention: strike 90 (x -> east, y -> north), reference = top centre."""
    cd = 0.0 if dip == 90 else np.cos(np.deg2rad(dip))
    sd = np.sin(np.deg2rad(dip))
    slip, opening = (0.0, 1.0) if mode == "tensile" else (1.0, 0.0)
    return okada((x - L / 2) * scale, (y - W * cd) * scale, depth=(d - W * sd) * scale, strike=90, dip=dip,
                 length=L * scale, width=W * scale, rake=rake, slip=slip, opening=opening)


@pytest.mark.parametrize("scale", [1.0, 1000.0])
@pytest.mark.parametrize(("x", "y", "d", "dip", "mode", "rake", "expected"), TABLE2)
def test_okada_table2(x, y, d, dip, mode, rake, expected, scale):
    got = np.array([float(c) for c in _table_call(x, y, d, dip, mode, rake, scale=scale)])
    for value, ref in zip(got, expected, strict=True):
        if ref == 0:
            assert abs(value) < 1e-12
        else:   # the table gives 4 significant figures: agree to half a unit of the last one
            assert abs(value - ref) <= 0.5 * 10 ** (np.floor(np.log10(abs(ref))) - 3) * 1.0001


def _rotate(e, n, angle_deg):
    """Rotate vectors clockwise by angle (as a strike change does)."""
    a = np.deg2rad(angle_deg)
    return e * np.cos(a) + n * np.sin(a), -e * np.sin(a) + n * np.cos(a)


def test_okada_strike_rotates_the_field():
    rng = np.random.default_rng(3)
    e, n = rng.uniform(-20e3, 20e3, (2, 200))
    kw = dict(depth=1500.0, dip=40.0, length=8e3, width=5e3, rake=60.0, slip=1.2, opening=0.3)
    base = okada(e, n, strike=0.0, **kw)
    er, nr = _rotate(e, n, 125.0)
    turned = okada(er, nr, strike=125.0, **kw)
    want_e, want_n = _rotate(base[0], base[1], 125.0)
    np.testing.assert_allclose(turned[0], want_e, atol=1e-12)
    np.testing.assert_allclose(turned[1], want_n, atol=1e-12)
    np.testing.assert_allclose(turned[2], base[2], atol=1e-12)


def test_okada_dip_direction_and_thrust_sign():
    """Strike north, dip to the right (east): a thrust lifts the hanging wall (east of the top edge)."""
    e = np.array([-3e3, 3e3])
    _de, _dn, du = okada(e, np.zeros(2), depth=500.0, strike=0.0, dip=30.0, length=20e3, width=8e3, rake=90.0,
                         slip=1.0)
    assert du[1] > 0.1 and du[1] > du[0]


def test_okada_vertical_branch_is_continuous():
    """The cos(dip) = 0 formulas (Okada 1985 eq. 29) meet the general ones (eq. 28) as dip -> 90."""
    rng = np.random.default_rng(4)
    e, n = rng.uniform(-15e3, 15e3, (2, 300))
    for rake, opening in ((0.0, 0.0), (90.0, 0.0), (0.0, 1.0)):
        slip = 0.0 if opening else 1.0
        kw = dict(depth=2000.0, strike=33.0, length=10e3, width=6e3, rake=rake, slip=slip, opening=opening)
        vertical = okada(e, n, dip=90.0, **kw)
        almost = okada(e, n, dip=90.0 - 1e-4, **kw)
        for a, b in zip(vertical, almost, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-6)


def test_okada_long_buried_fault_is_the_screw_dislocation():
    """Slip below the locking depth of a very long, very deep vertical fault: Savage & Burford (1973)."""
    x = np.linspace(-60e3, 60e3, 25)
    big = 1e9
    de, dn, du = okada(x, np.zeros_like(x), depth=10e3, strike=0.0, dip=90.0, length=big, width=big, rake=180.0,
                       slip=0.03)
    ve, vn, _vu = screw_dislocation(x, np.zeros_like(x), strike=0.0, slip_rate=0.03, locking_depth=10e3)
    np.testing.assert_allclose(dn, vn, atol=1e-4 * 0.03)
    np.testing.assert_allclose(de, ve, atol=1e-9)
    np.testing.assert_allclose(du, 0, atol=1e-4 * 0.03)


def test_okada_surface_breaking_fault_and_trace():
    """A long vertical strike-slip fault from the surface to depth D: u = -s/pi atan(D/x) sign (x != 0);
    on its surface trace the displacement is singular and, as in DC3D, returned as 0."""
    D, s = 8e3, 2.0
    x = np.array([-30e3, -5e3, -500.0, 500.0, 5e3, 30e3])
    _de, dn, _du = okada(x, np.zeros_like(x), depth=0.0, strike=0.0, dip=90.0, length=4e6, width=D, rake=180.0,
                         slip=s)
    # right-lateral: the side to the right (east, x > 0) moves south, by s/2 at the trace
    want = -s / np.pi * np.arctan(D / x)
    np.testing.assert_allclose(dn, want, atol=1e-4)
    on_trace = okada(np.zeros(1), np.array([1e3]), depth=0.0, strike=0.0, dip=90.0, length=10e3, width=D,
                     rake=180.0, slip=s)
    assert all(float(c[0]) == 0.0 for c in on_trace)


def test_okada_on_the_extension_of_the_trace_is_finite_and_continuous():
    """Points on the extension of the fault plane beyond its ends (q = 0, R + xi = 0, R + eta = 0 cases)."""
    kw = dict(depth=0.0, strike=0.0, dip=90.0, length=10e3, width=5e3, rake=45.0, slip=1.0, opening=0.5)
    n = np.array([8e3, 20e3, -8e3, -20e3])
    on = okada(np.zeros(4), n, **kw)
    near = okada(np.full(4, 1e-3), n, **kw)
    near2 = okada(np.full(4, -1e-3), n, **kw)
    for a, b, c in zip(on, near, near2, strict=True):
        assert np.all(np.isfinite(a))
        np.testing.assert_allclose(a, 0.5 * (b + c), atol=1e-6)
    buried = dict(kw, depth=1e3, dip=60.0)
    below = okada(np.array([0.0, 0.0]), np.array([5e3, -5e3]), **buried)   # above the ends of the top edge
    assert all(np.all(np.isfinite(c)) for c in below)


def test_okada_against_dc3d_peer():
    """okada-wrapper (Okada's own DC3D Fortran behind a Python wrapper) on random faults and points, if installed.

    The two agree to ~3e-8 of the slip typically and 4e-7 at worst over 6000 random points (the wrapper's
    DC3D takes its arguments and returns its results as REAL*4, single precision); the tolerance is 1e-6 of
    the slip."""
    dc3d = pytest.importorskip("okada_wrapper")
    rng = np.random.default_rng(11)
    for _ in range(20):
        strike, dip = rng.uniform(0, 360), rng.uniform(5, 90)
        L, W, depth = rng.uniform(2e3, 30e3), rng.uniform(1e3, 15e3), rng.uniform(0, 8e3)
        rake, slip, opening, nu = rng.uniform(-180, 180), rng.uniform(0.1, 3), rng.uniform(0, 1), 0.25
        e, n = rng.uniform(-40e3, 40e3, (2, 30))
        ours = okada(e, n, depth=depth, strike=strike, dip=dip, length=L, width=W, rake=rake, slip=slip,
                     opening=opening, nu=nu)
        st = np.deg2rad(strike)
        x = e * np.sin(st) + n * np.cos(st)          # along strike
        y = -e * np.cos(st) + n * np.sin(st)         # left of strike
        alpha = 1 / (2 * (1 - nu))
        disl = [slip * np.cos(np.deg2rad(rake)), slip * np.sin(np.deg2rad(rake)), opening]
        for i in range(e.size):
            ok, u, _grad = dc3d.dc3dwrapper(alpha, [x[i], y[i], 0.0], depth, dip, [-L / 2, L / 2], [-W, 0.0], disl)
            assert ok == 0
            want_e = u[0] * np.sin(st) - u[1] * np.cos(st)
            want_n = u[0] * np.cos(st) + u[1] * np.sin(st)
            scale = max(slip, opening)
            np.testing.assert_allclose([ours[0][i], ours[1][i], ours[2][i]], [want_e, want_n, u[2]],
                                       atol=1e-6 * scale, rtol=0)


def test_okada_bad_input():
    with pytest.raises(InputError, match="dip"):
        okada(0.0, 0.0, depth=1e3, strike=0, dip=120, length=1e3, width=1e3, rake=0, slip=1)
    with pytest.raises(InputError, match="depth"):
        okada(0.0, 0.0, depth=-5, strike=0, dip=45, length=1e3, width=1e3, rake=0, slip=1)
    with pytest.raises(InputError, match="length"):
        okada(0.0, 0.0, depth=5, strike=0, dip=45, length=0, width=1e3, rake=0, slip=1)
    with pytest.raises(InputError, match="slip"):
        okada(0.0, 0.0, depth=5, strike=0, dip=45, length=1e3, width=1e3, rake=0, slip=float("nan"))


def test_mogi_matches_the_closed_form():
    rng = np.random.default_rng(5)
    e, n = rng.uniform(-20e3, 20e3, (2, 100))
    ours = mogi(e, n, depth=4000.0, dvolume=-3e6)
    r3 = (e**2 + n**2 + 4000.0**2) ** 1.5          # u = (1 - nu) dV / pi * (x, y, d) / R^3, nu = 0.25
    theirs = (0.75 * -3e6 / np.pi * e / r3, 0.75 * -3e6 / np.pi * n / r3, 0.75 * -3e6 / np.pi * 4000.0 / r3)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    # uplift above the source: (1 - nu) dV / (pi d^2) = 3 dV / (4 pi d^2) for nu = 0.25
    up = mogi(0.0, 0.0, depth=2000.0, dvolume=1e6)[2]
    assert up == pytest.approx(3e6 / (4 * np.pi * 2000.0**2), rel=1e-14)
    with pytest.raises(InputError, match="depth"):
        mogi(0.0, 0.0, depth=0.0, dvolume=1.0)


def test_screw_matches_the_arctan_profile():
    rng = np.random.default_rng(6)
    e, n = rng.uniform(-50e3, 50e3, (2, 100))
    ours = screw_dislocation(e, n, strike=120.0, slip_rate=0.02, locking_depth=8000.0)
    s = np.deg2rad(120.0)                            # v = -s/pi atan(x/D) along strike, x to the right of strike
    v = -0.02 / np.pi * np.arctan((e * np.cos(s) - n * np.sin(s)) / 8000.0)
    theirs = (v * np.sin(s), v * np.cos(s), np.zeros_like(v))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-18)
    # right-lateral: far to the right of a north-striking fault the ground moves south by s/2
    far = screw_dislocation(1e9, 0.0, strike=0.0, slip_rate=0.02, locking_depth=1e4)[1]
    assert far == pytest.approx(-0.01, rel=1e-4)


def test_registry_names_the_parameters():
    import inspect

    for spec in MODELS.values():
        sig = inspect.signature(spec.function)
        assert [p for p in sig.parameters if p not in ("east", "north")] == list(spec.params)
