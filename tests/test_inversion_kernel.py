"""The compiled network solve against its NumPy reference, and the weights against MintPy's definitions."""

from __future__ import annotations

import numpy as np
import pytest

from mimtpy.errors import InputError
from mimtpy.inversion.solve import (
    DATE_MISSING,
    NO_DATA,
    OK,
    TOO_FEW,
    Network,
    coherence_to_weight,
    solve_network,
    solve_network_numpy,
)


def random_network(rng: np.random.Generator, num_date: int, span: int) -> Network:
    days = np.sort(rng.choice(np.arange(0, 1200), num_date, replace=False))
    dates = tuple(str(np.datetime64("2017-01-01") + np.timedelta64(int(d), "D")).replace("-", "") for d in days)
    pairs = {(i, j) for i in range(num_date) for j in range(i + 1, min(num_date, i + 1 + span))}
    pairs |= {tuple(sorted(rng.choice(num_date, 2, replace=False))) for _ in range(num_date // 3)}
    return Network(dates, tuple(sorted((int(i), int(j)) for i, j in pairs)))


def random_obs(rng: np.random.Generator, net: Network, num_pixel: int, gap: float) -> np.ndarray:
    truth = np.cumsum(rng.normal(0, 3, (num_pixel, net.num_date)), axis=1)
    obs = truth[:, net.ifg_j] - truth[:, net.ifg_i] + rng.normal(0, 0.4, (num_pixel, net.num_ifgram))
    obs[rng.random(obs.shape) < gap] = np.nan
    # a third of the pixels lose every interferogram across one interval: two sub-networks
    k = rng.integers(1, net.num_date - 1)
    cross = (net.ifg_i < k) & (net.ifg_j >= k)
    obs[: num_pixel // 3][:, cross] = np.nan
    d = rng.integers(1, net.num_date)                 # some pixels: a date without any interferogram
    obs[num_pixel // 3: num_pixel // 3 + 20][:, (net.ifg_i == d) | (net.ifg_j == d)] = np.nan
    obs[-3:] = np.nan                                # no data at all
    return obs.astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("method", ["sbas", "nsbas"])
@pytest.mark.parametrize("weighted", [False, True])
def test_kernel_equals_numpy_reference(seed: int, method: str, weighted: bool) -> None:
    rng = np.random.default_rng(seed)
    net = random_network(rng, int(rng.integers(8, 25)), int(rng.integers(2, 5)))
    obs = random_obs(rng, net, 240, gap=0.15)
    weight = coherence_to_weight(rng.uniform(0.05, 0.95, obs.shape), "var", 6) if weighted else None
    kwargs = dict(gamma=1e-3, seasonal=seed == 1, constraint_weight=0.02, min_ifgram=3)
    fast = solve_network(obs, net, method, weight, workers=2, chunk=5, **kwargs)
    ref = solve_network_numpy(obs, net, method, weight, **kwargs)
    np.testing.assert_array_equal(fast.status, ref.status)
    ok = fast.status == OK
    assert ok.sum() > 100
    assert np.all(np.isnan(fast.ts[~ok]))
    scale = np.abs(ref.ts[ok]).max()
    tol = 1e-9 if method == "sbas" else 1e-6
    np.testing.assert_allclose(fast.ts[ok], ref.ts[ok], rtol=0, atol=tol * scale)
    np.testing.assert_allclose(fast.tcoh[ok], ref.tcoh[ok], rtol=0, atol=1e-6)
    np.testing.assert_allclose(fast.rms[ok], ref.rms[ok], rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(fast.ncomp[ok], ref.ncomp[ok])
    np.testing.assert_array_equal(fast.nifg, ref.nifg)
    if method == "nsbas":
        assert ok[240 // 3: 240 // 3 + 20].sum() >= 15   # isolated dates are bridged by the constraint
        np.testing.assert_allclose(fast.model[ok], ref.model[ok], rtol=0, atol=tol * np.abs(ref.model[ok]).max())
    else:
        assert set(np.unique(fast.ncomp[ok])) >= {1, 2}


def test_threads_and_grouping_do_not_change_the_result() -> None:
    rng = np.random.default_rng(5)
    net = random_network(rng, 20, 3)
    obs = random_obs(rng, net, 3000, gap=0.02)
    one = solve_network(obs, net, "sbas", workers=1, chunk=100000)
    many = solve_network(obs, net, "sbas", workers=3, chunk=7)
    np.testing.assert_allclose(one.ts, many.ts, rtol=0, atol=1e-9 * np.nanmax(np.abs(one.ts)))


def test_status_codes() -> None:
    net = Network(("20200101", "20200113", "20200125", "20200206"), ((0, 1), (1, 2), (2, 3), (0, 2)))
    obs = np.ones((4, 4), np.float32)
    obs[1] = np.nan                     # nothing
    obs[2, 2] = np.nan                  # date 3 untouched: SBAS cannot, NSBAS can
    obs[3, 1:] = np.nan                 # one interferogram only
    sbas = solve_network(obs, net, "sbas", min_ifgram=2)
    assert list(sbas.status) == [OK, NO_DATA, DATE_MISSING, TOO_FEW]
    nsbas = solve_network(obs, net, "nsbas", min_ifgram=2)
    assert list(nsbas.status) == [OK, NO_DATA, OK, TOO_FEW]


def test_bad_input_is_a_clear_error() -> None:
    net = Network(("20200101", "20200113", "20200125"), ((0, 1), (1, 2)))
    with pytest.raises(InputError, match="pixel, 2 interferograms"):
        solve_network(np.zeros((3, 3), np.float32), net)
    with pytest.raises(InputError, match="sbas or nsbas"):
        solve_network(np.zeros((3, 2), np.float32), net, "pca")
    with pytest.raises(InputError, match="same pair twice"):
        Network(("20200101", "20200113"), ((0, 1), (0, 1)))
    with pytest.raises(InputError, match="weight function"):
        coherence_to_weight(np.ones(3), "snr")


@pytest.mark.parametrize("func", ["coh", "var", "fim"])
@pytest.mark.parametrize("looks", [1, 14, 200])
def test_weights_equal_mintpy(func: str, looks: int) -> None:
    decor = pytest.importorskip("mintpy.simulation.decorrelation")
    rng = np.random.default_rng(3)
    coh = rng.uniform(0, 1, (20, 50)).astype(np.float32)
    coh[0, :5] = np.nan
    coh[1, :5] = 0.999
    expected = decor.coherence2weight(coh.copy(), func, L=looks, epsilon=5e-2, print_msg=False)
    np.testing.assert_allclose(coherence_to_weight(coh, func, looks), expected, rtol=1e-6)
