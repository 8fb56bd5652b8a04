"""k-means internals against slow NumPy oracles: the bounded Lloyd pass,
whole Lloyd runs with relocation, greedy k-means++, restarts."""

import numpy as np
import pytest

from shepcore import fit_model
from shepcore import kmeans as m
from shepcore._config import CHUNK

# -- oracles ---------------------------------------------------------------------


def brute_dist2(samples, centres):
    """(N, K) squared distances, summed band by band in order (as the
    kernels sum them)."""
    d2 = np.zeros((samples.shape[0], centres.shape[0]))
    for b in range(samples.shape[1]):
        diff = samples[:, b, None] - centres[None, :, b]
        d2 += diff * diff
    return d2


def seq_sum(values):
    """Left-to-right float sum (np.sum adds pairwise)."""
    return float(np.cumsum(values)[-1]) if len(values) else 0.0


def oracle_sums(samples, labels, d2, k):
    """Per-cluster sums, counts and inertia, added per CHUNK of samples in
    sample order, then chunk after chunk (the kernel's order)."""
    sums = np.zeros((k, samples.shape[1]))
    counts = np.zeros(k, np.int64)
    inertia = 0.0
    for start in range(0, samples.shape[0], CHUNK):
        part = np.zeros((k, samples.shape[1]))
        np.add.at(part, labels[start:start + CHUNK], samples[start:start + CHUNK])
        sums += part
        counts += np.bincount(labels[start:start + CHUNK], minlength=k)
        inertia += seq_sum(d2[start:start + CHUNK])
    return sums, counts, inertia


def oracle_relocate(samples, centres, labels, sums, counts):
    """The relocation rule written plainly: samples by descending distance
    to their centre, ties by index; skip distance 0, a cluster that would
    be emptied, a value already taken."""
    empty = [int(j) for j in np.flatnonzero(counts == 0)]
    if not empty:
        return 0
    d2 = brute_dist2(samples, centres)[np.arange(samples.shape[0]), labels]
    order = sorted(range(samples.shape[0]), key=lambda i: (-d2[i], i))
    taken = []
    moved = 0
    for i in order:
        if moved == len(empty) or d2[i] <= 0:
            break
        x = samples[i]
        if counts[labels[i]] < 2 or any((x == y).all() for y in taken):
            continue
        taken.append(x)
        sums[labels[i]] -= x
        counts[labels[i]] -= 1
        sums[empty[moved]] = x
        counts[empty[moved]] = 1
        moved += 1
    return moved


def oracle_lloyd(samples, centres, max_iter, tol_abs):
    """Lloyd with brute-force assignment (ties to the lowest index) and the
    same relocation and stopping rules as shepcore.kmeans.lloyd."""
    centres = centres.copy()
    k = centres.shape[0]
    labels = np.full(samples.shape[0], -1)
    n_iter = relocations = 0
    while n_iter < max_iter:
        n_iter += 1
        d2 = brute_dist2(samples, centres)
        new_labels = np.argmin(d2, axis=1)
        changed = int((new_labels != labels).sum())
        labels = new_labels
        sums, counts, _ = oracle_sums(samples, labels, d2[np.arange(len(labels)), labels], k)
        moved = oracle_relocate(samples, centres, labels, sums, counts)
        relocations += moved
        new = centres.copy()
        filled = counts > 0
        new[filled] = sums[filled] / counts[filled, None]
        shift = float(((new - centres) ** 2).sum(axis=1).sum())
        centres = new
        if moved == 0 and (changed == 0 or shift <= tol_abs):
            break
    d2 = brute_dist2(samples, centres)
    labels = np.argmin(d2, axis=1)
    inertia = oracle_sums(samples, labels, d2[np.arange(len(labels)), labels], k)[2]
    return centres, n_iter, inertia, relocations


def oracle_kmeanspp(samples, uniforms, n_trials, k):
    """Greedy k-means++ in NumPy, from the same uniforms."""
    n = samples.shape[0]
    centres = [samples[min(int(uniforms[0] * n), n - 1)]]
    closest = brute_dist2(samples, centres[0][None])[:, 0]
    pos = 1
    for _ in range(1, k):
        cum = np.cumsum(closest)
        best_pot, best = np.inf, None
        for _ in range(n_trials):
            u = uniforms[pos]
            pos += 1
            if cum[-1] > 0:
                i = min(int(np.searchsorted(cum, u * cum[-1], side="right")), n - 1)
                while i > 0 and closest[i] == 0:
                    i -= 1
            else:
                i = min(int(u * n), n - 1)
            d2 = np.minimum(closest, brute_dist2(samples, samples[i][None])[:, 0])
            pot = seq_sum(d2)
            if pot < best_pot:
                best_pot, best = pot, (i, d2)
        centres.append(samples[best[0]])
        closest = best[1]
    return np.array(centres)


def random_case(seed):
    """Samples and start centres with ties: integer lattices, duplicate
    centres, duplicate samples, or smooth floats."""
    rng = np.random.default_rng(seed)
    bands = int(rng.integers(1, 5))
    n = int(rng.choice([50, 700, 3 * CHUNK + 123]))
    k = int(rng.integers(2, 40))
    if seed % 3 == 0:  # few distinct values: exact distance ties everywhere
        samples = rng.integers(0, 5, (n, bands)).astype(np.float64)
    elif seed % 3 == 1:
        samples = np.round(rng.normal(0, 30, (n, bands)))
    else:
        samples = rng.normal(0, 100, (n, bands)) * rng.uniform(0.1, 3, bands)
    centres = samples[rng.integers(0, n, k)].copy()
    if seed % 2:  # start with duplicate centres, some far out
        centres[: k // 2] = centres[k // 2: 2 * (k // 2)]
        centres[-1] += 1000
    return samples, centres


# -- the bounded assignment ---------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_pass_labels_equal_brute_force_while_centres_move(seed):
    """Centres jump around between passes (small drifts, big jumps,
    duplicates, ties); after every pass each label is the brute-force
    nearest centre, lowest index on ties, and sums and counts match."""
    samples, centres = random_case(seed)
    rng = np.random.default_rng(100 + seed)
    labels = np.full(samples.shape[0], -1, np.int32)
    lower = np.zeros(samples.shape[0])
    drift = np.zeros(centres.shape[0])
    scale = samples.std() + 1
    for step in range(8):
        sums, counts, changed, searches, inertia = m._lloyd_pass(samples, centres, drift,
                                                                 labels, lower)
        d2 = brute_dist2(samples, centres)
        expected = np.argmin(d2, axis=1)
        np.testing.assert_array_equal(labels, expected)
        exp_sums, exp_counts, exp_inertia = oracle_sums(
            samples, expected, d2[np.arange(len(expected)), expected], centres.shape[0])
        np.testing.assert_array_equal(counts, exp_counts)
        np.testing.assert_array_equal(sums, exp_sums)
        assert inertia == exp_inertia
        assert searches <= samples.shape[0] and (step > 0 or searches == samples.shape[0])
        # move the centres: mostly small steps, sometimes a jump, keep ties
        new = centres + rng.normal(0, scale * 10.0 ** -rng.integers(1, 4), centres.shape)
        if step % 3 == 2:
            new[rng.integers(0, len(new))] = samples[rng.integers(0, len(samples))]
        if seed % 3 == 0:
            new = np.round(new)
        drift = m._drift(((new - centres) ** 2).sum(axis=1))
        centres = new


@pytest.mark.parametrize("seed", range(12))
def test_lloyd_run_equals_oracle(seed):
    """A whole run (assignment, relocation, update, stopping) gives the
    oracle's centres bit for bit, its iteration count and relocations."""
    samples, centres = random_case(seed)
    tol_abs = 1e-4 * float(np.mean(np.var(samples, axis=0)))
    run = m.lloyd(samples, centres, 50, tol_abs)
    exp_centres, exp_iter, exp_inertia, exp_reloc = oracle_lloyd(samples, centres, 50, tol_abs)
    np.testing.assert_array_equal(run.centres, exp_centres)
    assert (run.n_iter, run.relocations) == (exp_iter, exp_reloc)
    assert run.inertia == exp_inertia


# -- relocation, by hand --------------------------------------------------------------


def test_relocation_takes_the_farthest_samples_and_updates_their_clusters():
    # fmt: off
    samples = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [30.0], [30.0], [12.0]])
    # fmt: on
    centres = np.array([[1.0], [10.0], [50.0], [60.0]])  # clusters 2 and 3 get nothing
    labels = np.argmin(brute_dist2(samples, centres), axis=1).astype(np.int32)
    np.testing.assert_array_equal(labels, [0, 0, 0, 1, 1, 1, 1, 1])
    sums, counts, _ = oracle_sums(samples, labels, np.zeros(len(labels)), 4)
    moved = m._relocate_empty(samples, centres, labels, sums, counts)
    # distances to own centre: 1, 0, 1, 0, 1, 400, 400, 4 -> samples 5 and 6
    # (equal value: only one of them), then 7
    assert moved == 2
    np.testing.assert_array_equal(counts, [3, 3, 1, 1])
    np.testing.assert_array_equal(sums[:, 0], [3.0, 10 + 11 + 30, 30.0, 12.0])


def test_relocation_ties_go_to_the_lowest_sample_index():
    samples = np.array([[5.0], [-5.0], [0.0], [0.0]])
    centres = np.array([[0.0], [100.0]])
    labels = np.zeros(4, np.int32)
    sums = np.array([[0.0], [0.0]])
    counts = np.array([4, 0])
    assert m._relocate_empty(samples, centres, labels, sums, counts) == 1
    np.testing.assert_array_equal(sums[:, 0], [-5.0, 5.0])  # sample 0 (+5) moved


def test_relocation_skips_zero_distance_and_clusters_it_would_empty():
    samples = np.array([[0.0], [0.0], [9.0]])
    centres = np.array([[0.0], [8.0], [20.0], [30.0]])
    labels = np.array([0, 0, 1], np.int32)
    sums = np.array([[0.0], [9.0], [0.0], [0.0]])
    counts = np.array([2, 1, 0, 0])
    # sample 2 is farthest but alone in its cluster; samples 0, 1 sit on
    # their centre: nothing can move
    assert m._relocate_empty(samples, centres, labels, sums, counts) == 0
    np.testing.assert_array_equal(counts, [2, 1, 0, 0])


def test_fixed_init_with_fewer_distinct_values_than_clusters_terminates():
    samples = np.repeat(np.array([[1.0, 2.0], [5.0, 5.0], [9.0, 1.0]]), 40, axis=0)
    model = fit_model(samples, num_clusters=6, fixed_init=True)
    assert model.info["n_iter"] < 300
    found = np.unique(model.centres, axis=0)
    assert {tuple(c) for c in found} >= {(1.0, 2.0), (5.0, 5.0), (9.0, 1.0)}


# -- k-means++ -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_kmeanspp_equals_oracle(seed):
    samples, _ = random_case(seed)
    samples = samples[:2000]
    k = int(np.random.default_rng(seed).integers(2, 30))
    centres = m.kmeans_plusplus(samples, k, np.random.default_rng(seed))
    n_trials = 2 + int(np.log(k))
    uniforms = np.random.default_rng(seed).random(1 + (k - 1) * n_trials)
    np.testing.assert_array_equal(centres, oracle_kmeanspp(samples, uniforms, n_trials, k))
    # every centre is a sample; distinct while enough distinct samples exist
    assert all((samples == c).all(axis=1).any() for c in centres)
    if np.unique(samples, axis=0).shape[0] >= k:
        assert np.unique(centres, axis=0).shape[0] == k


def test_kmeanspp_is_seeded_and_restarts_differ():
    samples, _ = random_case(2)
    a = m.kmeans_plusplus(samples, 10, np.random.default_rng(4))
    b = m.kmeans_plusplus(samples, 10, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(4)
    first, second = m.kmeans_plusplus(samples, 10, rng), m.kmeans_plusplus(samples, 10, rng)
    assert not np.array_equal(first, second)


def test_kmeanspp_does_not_import_scikit_learn():
    import subprocess
    import sys

    code = ("import sys, numpy as np; from shepcore import fit_model; "
            "fit_model(np.random.default_rng(0).normal(size=(500, 3)), num_clusters=5); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# -- restarts on a subsample ---------------------------------------------------------


def test_restarts_on_a_subsample_end_at_a_fixed_point_of_all_samples():
    """With more than RESTART_SAMPLES_PER_CLUSTER samples per centre the
    restarts run on a subsample; the result is still a converged k-means of
    all samples: one more brute-force Lloyd step moves the centres by at
    most the tolerance."""
    rng = np.random.default_rng(8)
    k = 12
    means = rng.uniform(0, 1000, (k, 3))
    samples = np.concatenate([mu + rng.normal(0, 60, (3000, 3)) for mu in means])
    model = fit_model(samples, num_clusters=k, seed=1)
    info = model.info
    assert info["restart_samples"] < info["num_samples"] == samples.shape[0]
    assert info["n_init"] == len(info["restart_inertias"]) == 3
    d2 = brute_dist2(samples, model.centres)
    labels = np.argmin(d2, axis=1)
    means_now = np.array([samples[labels == j].mean(axis=0) for j in range(k)])
    tol_abs = 1e-4 * float(np.mean(np.var(samples, axis=0)))
    assert ((means_now - model.centres) ** 2).sum() <= tol_abs
    assert info["inertia"] == pytest.approx(d2[np.arange(len(labels)), labels].sum(), rel=1e-9)


def test_small_sample_sets_restart_on_all_samples():
    samples = np.random.default_rng(3).normal(0, 10, (700, 2))
    model = fit_model(samples, num_clusters=5, n_init=4)
    assert model.info["restart_samples"] == model.info["num_samples"] == 700
    assert model.info["inertia"] == min(model.info["restart_inertias"])
