"""What the trainers share: the vocabulary, the model configuration and the text <-> id mapping.

Imports only numpy, so the GPU trainer (``training.gpu_train``) runs where neither the package's decoders
(pyctcdecode, kenlm) nor soundfile's FLAC reader are installed.
"""
from __future__ import annotations

import random

import numpy as np

SR = 16_000

# facebook/wav2vec2-base-960h vocab.json, in id order.
VOCAB_TOKENS = ["<pad>", "<s>", "</s>", "<unk>", "|"] + list("ETAONIHSRDLUMWCFGYPBVK'XJQZ")
VOCAB = {t: i for i, t in enumerate(VOCAB_TOKENS)}
BLANK_ID, DELIM_ID = 0, 4

MODEL_KWARGS = dict(
    vocab_size=len(VOCAB_TOKENS),
    hidden_size=256,
    num_hidden_layers=6,
    num_attention_heads=4,
    intermediate_size=1024,
    hidden_act="gelu",
    conv_dim=(128, 128, 256, 256),
    conv_stride=(5, 4, 4, 4),
    conv_kernel=(10, 8, 4, 4),
    conv_bias=True,
    feat_extract_norm="layer",
    feat_extract_activation="gelu",
    do_stable_layer_norm=True,
    num_conv_pos_embeddings=32,
    num_conv_pos_embedding_groups=16,
    hidden_dropout=0.0,  # 0.1 until step ~3500: the model underfits (train loss ~ val), so no dropout
    attention_dropout=0.0,
    activation_dropout=0.0,
    feat_proj_dropout=0.0,
    final_dropout=0.0,
    layerdrop=0.0,
    mask_time_prob=0.05,
    mask_time_length=5,
    mask_feature_prob=0.0,
    ctc_loss_reduction="mean",
    ctc_zero_infinity=True,
    pad_token_id=BLANK_ID,
    bos_token_id=1,
    eos_token_id=2,
)



def encode_text(text: str) -> list[int]:
    return [DELIM_ID if c == " " else VOCAB[c] for c in text if c == " " or c in VOCAB]


def greedy_decode(ids: np.ndarray) -> str:
    out, prev = [], -1
    for i in ids:
        if i != prev and i != BLANK_ID:
            out.append(" " if i == DELIM_ID else VOCAB_TOKENS[i])
        prev = i
    return " ".join("".join(out).split())


def make_batches(rows: list[dict], batch_seconds: float, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches whose padded duration (n x longest) is <= batch_seconds."""
    est = [(r["duration"] * 1.12 + 0.5, i) for i, r in enumerate(rows)]
    est.sort(key=lambda t: t[0] + rng.uniform(0, 0.4))
    batches, cur, longest = [], [], 0.0
    for d, i in est:
        longest_new = max(longest, d)
        if cur and longest_new * (len(cur) + 1) > batch_seconds:
            batches.append(cur)
            cur, longest_new = [], d
        cur.append(i)
        longest = longest_new
    if cur:
        batches.append(cur)
    rng.shuffle(batches)
    return batches


def edit_distance(a, b) -> int:
    try:
        from rapidfuzz.distance import Levenshtein

        return Levenshtein.distance(a, b)
    except ImportError:  # pragma: no cover
        prev = list(range(len(b) + 1))
        for i, x in enumerate(a, 1):
            cur = [i]
            for j, y in enumerate(b, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
            prev = cur
        return prev[-1]
