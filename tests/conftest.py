"""Shared fixtures: tiny random Wav2Vec2ForCTC models built from a config, real data shipped by pyctcdecode."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

#: facebook/wav2vec2-base-960h's vocabulary, in its id order
BASE_960H_VOCAB = ["<pad>", "<s>", "</s>", "<unk>", "|", *"ETAONIHSRDLUMWCFGYPBVK'XJQZ"]


EXIT_WATCHDOG_SECONDS = 300


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """A process that hangs after the last test (a thread nobody stops, which exit waits on) once cost CI its whole
    90 minutes with every test passed: from here on, if exit takes over EXIT_WATCHDOG_SECONDS, every thread's stack
    goes to stderr and the process ends with status 1, so the hang fails at once and says where it is."""
    import faulthandler

    faulthandler.dump_traceback_later(EXIT_WATCHDOG_SECONDS, exit=True, file=os.fdopen(os.dup(2), "w"))


def shared_dir(sub: str) -> Path:
    """``../shared/<sub>``, or skip the test with a reason where it is absent."""
    path = SHARED / sub
    if not path.exists():
        pytest.skip(f"{path} is not present (the read-only shared data lives beside the repository)")
    return path


def make_tiny_model(folder: Path, *, lower: bool = False, layers: int = 1, attention_mask: bool = True,
                    normalize: bool = True, seed: int = 0) -> Path:
    """Save a randomly initialised, tiny ``Wav2Vec2ForCTC`` + processor (base-960h-style vocab) to ``folder``."""
    import torch
    from transformers import (Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC,
                              Wav2Vec2Processor)

    folder.mkdir(parents=True, exist_ok=True)
    vocab = [t.lower() if len(t) == 1 and lower else t for t in BASE_960H_VOCAB]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                                     word_delimiter_token="|", do_lower_case=False)
    fe = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                                  do_normalize=normalize, return_attention_mask=attention_mask)
    config = Wav2Vec2Config(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
        intermediate_size=32, conv_dim=(16, 16, 16, 16), conv_kernel=(10, 8, 4, 4), conv_stride=(5, 4, 4, 4),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, feat_extract_norm="layer",
        do_stable_layer_norm=True, pad_token_id=0, architectures=["Wav2Vec2ForCTC"],
    )
    torch.manual_seed(seed)
    model = Wav2Vec2ForCTC(config)
    with torch.no_grad():  # a larger output layer makes the random model emit varied, non-blank tokens
        model.lm_head.weight.mul_(40.0)
    model.save_pretrained(folder)
    Wav2Vec2Processor(feature_extractor=fe, tokenizer=tokenizer).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny_w2v2"))


@pytest.fixture(scope="session")
def pyctc_data() -> Path:
    import pyctcdecode

    return Path(pyctcdecode.__file__).parent / "tests" / "sample_data"


@pytest.fixture(scope="session")
def libri_emissions(pyctc_data):
    from ctcdecode_plus.emissions import Emissions

    logits = np.array(json.loads((pyctc_data / "libri_logits.json").read_text()), dtype=np.float32)
    return Emissions.from_logits(logits, list(" abcdefghijklmnopqrstuvwxyz'") + [""], 0.02, "libri_logits.json")


LIBRI_TEXT = ("i have a good deal of will you remember and what i have set my mind upon no doubt i shall "
              "some day achieve")


def write_tone_wav(path: Path, seconds: float = 1.0, rate: int = 16000, channels: int = 1, freq: float = 440.0,
                   subtype: str = "PCM_16") -> Path:
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    sig = (0.3 * np.sin(2 * np.pi * freq * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    data = np.stack([sig] * channels, axis=1) if channels > 1 else sig
    sf.write(str(path), data, rate, subtype=subtype)
    return path
