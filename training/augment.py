"""On-the-fly waveform augmentation (numpy; 16 kHz mono float32).

Applied independently to every training utterance every epoch:

* speed perturbation 0.9-1.1 (resampling, changes tempo and pitch, as Kaldi's
  speed perturbation does);
* simple reverberation (15 % of utterances): a synthetic impulse response of
  exponentially decaying noise (RT60 0.15-0.8 s) with a direct path;
* additive noise (35 % of utterances) at 10-35 dB SNR: white, pink (1/f) or
  babble (a sum of 2-4 other utterances from the pool, 15-35 dB);
* random gain (-18..+6 dB, clipped to [-1, 1]) and a little leading/trailing
  silence.

History: steps 0-2713 of the shipped model used harsher settings (reverb 30 %,
noise 60 % at 0-30 dB); on 2 CPU cores the 5 M-parameter model learned too
slowly under them (held-out CER 55 % after 2 h), so they were relaxed.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

SR = 16_000


def speed_perturb(x: np.ndarray, factor: float) -> np.ndarray:
    if abs(factor - 1.0) < 1e-3:
        return x
    n_out = int(round(len(x) / factor))
    t = np.arange(n_out, dtype=np.float64) * factor
    return np.interp(t, np.arange(len(x)), x).astype(np.float32)


def reverb(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    rt60 = rng.uniform(0.15, 0.8)
    n = int(SR * min(rt60, 0.6))
    t = np.arange(n) / SR
    ir = rng.standard_normal(n).astype(np.float32) * np.exp(-6.9 * t / rt60).astype(np.float32)
    ir *= rng.uniform(0.05, 0.4) / (np.sqrt(np.sum(ir**2)) + 1e-9)
    ir[0] = 1.0
    y = fftconvolve(x, ir)[: len(x)].astype(np.float32)
    return y / (np.max(np.abs(y)) + 1e-9) * np.max(np.abs(x))


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    f = np.arange(n // 2 + 1, dtype=np.float64)
    f[0] = 1.0
    y = np.fft.irfft(spec / np.sqrt(f), n)
    return y.astype(np.float32)


def add_noise(x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    ps = np.mean(x**2) + 1e-10
    pn = np.mean(noise**2) + 1e-10
    return x + noise * np.sqrt(ps / (pn * 10 ** (snr_db / 10)))


def babble(n: int, others: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n, dtype=np.float32)
    for o in others:
        if len(o) == 0:
            continue
        o = np.tile(o, int(np.ceil(n / len(o))) + 1)
        start = rng.integers(0, len(o) - n + 1)
        seg = o[start : start + n]
        out += seg / (np.sqrt(np.mean(seg**2)) + 1e-9)
    return out


def augment(x: np.ndarray, rng: np.random.Generator, babble_source=None) -> np.ndarray:
    """Return an augmented copy of ``x``.

    ``babble_source(k)`` returns ``k`` other (clean) waveforms for babble noise.
    """
    x = x.astype(np.float32, copy=True)
    if rng.random() < 0.8:
        x = speed_perturb(x, rng.uniform(0.9, 1.1))
    if rng.random() < 0.15:
        x = reverb(x, rng)
    # a little silence around the utterance
    pre, post = rng.integers(0, int(0.25 * SR), size=2)
    x = np.concatenate([np.zeros(pre, np.float32), x, np.zeros(post, np.float32)])
    r = rng.random()
    if r < 0.35:
        snr = rng.uniform(10, 35)
        kind = rng.random()
        if kind < 0.35:
            noise = rng.standard_normal(len(x)).astype(np.float32)
        elif kind < 0.7:
            noise = pink_noise(len(x), rng)
        elif babble_source is not None:
            noise = babble(len(x), babble_source(int(rng.integers(2, 5))), rng)
            snr = rng.uniform(15, 35)
        else:
            noise = pink_noise(len(x), rng)
        x = add_noise(x, noise, snr)
    elif r < 0.5:
        x = x + rng.standard_normal(len(x)).astype(np.float32) * 1e-4  # near-clean
    peak = np.max(np.abs(x)) + 1e-9
    gain = 10 ** (rng.uniform(-18, 6) / 20)
    x = np.clip(x / peak * 0.7 * gain, -1.0, 1.0)
    return x.astype(np.float32)
