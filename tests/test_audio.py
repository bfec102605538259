"""Audio loading: formats, rates, channels, and bad input."""
from __future__ import annotations

import csv

import numpy as np
import pytest
import soundfile as sf

from conftest import shared_dir, write_tone_wav
from ctcdecode_plus.audio import iter_chunks, load_audio, Audio
from ctcdecode_plus.errors import AudioError


@pytest.mark.parametrize("fmt,subtype,rate,channels", [
    ("wav", "PCM_16", 16000, 1), ("wav", "PCM_24", 44100, 2), ("wav", "FLOAT", 22050, 1),
    ("flac", "PCM_16", 48000, 2), ("ogg", "VORBIS", 48000, 1), ("mp3", "MPEG_LAYER_III", 44100, 1),
])
def test_formats_load_to_16k_mono(tmp_path, fmt, subtype, rate, channels):
    path = write_tone_wav(tmp_path / f"x.{fmt}", 1.5, rate, channels, subtype=subtype)
    audio = load_audio(path)
    assert audio.sampling_rate == 16000
    assert audio.samples.ndim == 1 and audio.samples.dtype == np.float32
    assert audio.original_rate == rate and audio.original_channels == channels
    assert abs(audio.duration - 1.5) < 0.08  # mp3 adds encoder padding
    # the 440 Hz tone survives resampling: its spectral peak is still at 440 Hz
    spec = np.abs(np.fft.rfft(audio.samples[:16000]))
    assert abs(np.argmax(spec) - 440) <= 3


def test_resampling_is_logged(tmp_path, caplog):
    path = write_tone_wav(tmp_path / "x.wav", 1.0, 8000)
    with caplog.at_level("INFO", logger="ctcdecode_plus.audio"):
        load_audio(path)
    assert "8000 Hz -> 16000 Hz" in caplog.text


def test_channel_selection(tmp_path):
    rate = 16000
    t = np.arange(rate) / rate
    left, right = 0.5 * np.sin(2 * np.pi * 300 * t), 0.5 * np.sin(2 * np.pi * 1000 * t)
    sf.write(tmp_path / "st.wav", np.stack([left, right], 1), rate)
    one = load_audio(tmp_path / "st.wav", channel=1).samples
    assert np.argmax(np.abs(np.fft.rfft(one))) == 1000
    with pytest.raises(AudioError, match="channel 2 requested"):
        load_audio(tmp_path / "st.wav", channel=2)


def test_array_input_and_int_samples():
    x = (np.sin(np.arange(8000) / 5) * 10000).astype(np.int16)
    audio = load_audio(x, input_rate=8000)
    assert len(audio.samples) == 16000 and np.max(np.abs(audio.samples)) <= 1.0
    with pytest.raises(AudioError, match="input_rate"):
        load_audio(x)


def test_bad_audio_inputs(tmp_path):
    with pytest.raises(AudioError, match="not found") as e:
        load_audio(tmp_path / "missing.wav")
    assert "relative paths" not in str(e.value)  # an absolute path (as a manifest's rows become) gets no cwd hint
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        load_audio(tmp_path / "empty.wav")
    (tmp_path / "corrupt.flac").write_bytes(b"fLaC" + bytes(range(256)) * 4)
    with pytest.raises(AudioError, match="could not decode"):
        load_audio(tmp_path / "corrupt.flac")
    sf.write(tmp_path / "silent.wav", np.zeros(16000, np.float32), 16000)
    with pytest.raises(AudioError, match="silent.*load_audio\\(path, allow_silence=True\\)"):  # and how to allow it
        load_audio(tmp_path / "silent.wav")
    assert load_audio(tmp_path / "silent.wav", allow_silence=True).duration == 1.0
    sf.write(tmp_path / "zero.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioError, match="empty"):
        load_audio(tmp_path / "zero.wav")
    with pytest.raises(AudioError, match="NaN"):
        load_audio(np.array([0.1, np.nan, 0.2], np.float32), input_rate=16000)
    with pytest.raises(AudioError, match="folder"):
        load_audio(tmp_path)


def test_chunks_tile_the_signal():
    audio = Audio(np.random.default_rng(0).standard_normal(16000 * 7).astype(np.float32), 16000)
    chunks = list(iter_chunks(audio, 2.0, 0.5, 320))
    assert chunks[0].start == 0 and chunks[0].left_context == 0
    assert all(a.end == b.start for a, b in zip(chunks, chunks[1:]))
    assert chunks[-1].end == 7.0 and chunks[-1].right_context == 0
    assert all(round(c.start * 16000) % 320 == 0 for c in chunks)


def test_real_audio_every_format_and_rate():
    folder = shared_dir("real_audio")
    with open(folder / "manifest.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) >= 10
    for row in rows:
        audio = load_audio(folder / row["file"])
        assert audio.sampling_rate == 16000 and audio.samples.ndim == 1
        assert audio.original_rate == int(row["sample_rate"])
        assert audio.original_channels == int(row["channels"])
        assert abs(audio.duration - float(row["duration_s"])) < 0.06, row["file"]


def _speechlike(seconds: float, rate: int = 16000) -> np.ndarray:
    """A tone with noise: compressed codecs keep it, so a cut file has audio on both sides of the cut."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


CODECS = [("flac", {}), ("ogg", {"format": "OGG", "subtype": "VORBIS"}), ("opus", {"format": "OGG", "subtype": "OPUS"}),
          ("mp3", {"format": "MP3"})]


def _write(path, seconds, kw):
    try:
        sf.write(str(path), _speechlike(seconds), 16000, **kw)
    except (sf.LibsndfileError, ValueError, TypeError) as exc:  # a libsndfile built without the codec
        pytest.skip(f"this libsndfile cannot write {path.suffix}: {exc}")
    return path


@pytest.mark.parametrize("ext,kw", CODECS, ids=[c[0] for c in CODECS])
def test_a_compressed_file_cut_short_is_said_and_kept(tmp_path, caplog, ext, kw):
    # before: a cut FLAC raised libsndfile's "lost sync" as a traceback, cut Ogg/MP3 files gave part of a
    # transcript without a word
    whole = _write(tmp_path / f"whole.{ext}", 20.0, kw)
    data = whole.read_bytes()
    (tmp_path / f"cut.{ext}").write_bytes(data[: len(data) // 2])
    with caplog.at_level("WARNING", logger="ctcdecode_plus"):
        assert load_audio(whole).duration == pytest.approx(20.0, abs=0.05)
        assert not caplog.records
        cut = load_audio(tmp_path / f"cut.{ext}")
    assert 5.0 < cut.duration < 15.0  # the decodable half is kept
    assert f"cut.{ext}: the file is cut short or damaged" in caplog.text
    assert f"using the {cut.duration:.2f} s that decode" in caplog.text


@pytest.mark.parametrize("ext,kw", CODECS[:3], ids=[c[0] for c in CODECS[:3]])
def test_streamed_windows_stop_where_a_cut_file_ends(tmp_path, caplog, ext, kw):
    from ctcdecode_plus.audio import stream_chunks

    path = _write(tmp_path / f"long.{ext}", 40.0, kw)
    data = path.read_bytes()
    (tmp_path / f"cut.{ext}").write_bytes(data[: len(data) // 2])
    with caplog.at_level("WARNING", logger="ctcdecode_plus"):
        chunks = list(stream_chunks(tmp_path / f"cut.{ext}", 16000, 5.0, 1.0, 320))
    assert "cut short or damaged" in caplog.text
    assert chunks[-1].right_context == 0 and 10.0 < chunks[-1].end < 30.0
    ends = [c.end for c in chunks]
    assert [c.start for c in chunks[1:]] == ends[:-1]  # the windows still tile what is there
    assert abs(len(chunks[-1].samples) / 16000 - (chunks[-1].end - chunks[-1].start + chunks[-1].left_context)) < 0.05


def test_mp3_is_read_whole_not_in_windows(tmp_path):
    # libsndfile garbles some MP3 frames when an MP3 is read in pieces or after a seek (audio._MPEG_NOTE)
    from ctcdecode_plus.audio import stream_chunks

    path = _write(tmp_path / "long.mp3", 40.0, {"format": "MP3"})
    assert stream_chunks(path, 16000, 5.0, 1.0, 320) is None
    reference, _ = sf.read(str(path), dtype="float32")
    assert np.allclose(load_audio(path).samples, reference, atol=1e-5)  # a garbled frame is off by 0.1 or more


def test_a_flac_file_with_only_its_header_left_is_an_audio_error(tmp_path):
    # the header still announces 40 s, so the file is streamed; libsndfile's seek failed with a traceback
    from ctcdecode_plus.audio import stream_chunks

    path = _write(tmp_path / "long.flac", 40.0, {})
    (tmp_path / "head.flac").write_bytes(path.read_bytes()[:200])
    with pytest.raises(AudioError, match="head.flac: no audio decodes"):
        list(stream_chunks(tmp_path / "head.flac", 16000, 5.0, 1.0, 320))


def _libsndfile_decodes(path) -> int:
    """Frames libsndfile's sf_readf_float decodes from ``path`` before it stops (an independent count)."""
    from soundfile import _ffi, _snd

    with sf.SoundFile(str(path)) as f:
        buf, n = np.empty((4096, f.channels), np.float32), 0
        while (k := _snd.sf_readf_float(f._file, _ffi.cast("float *", buf.ctypes.data), 4096)) > 0:
            n += k
        return n


@pytest.mark.parametrize("rate,channels,fraction", [(16000, 1, 0.01), (16000, 1, 0.2185), (44100, 2, 0.3),
                                                    (8000, 6, 0.3)])
def test_a_cut_flac_keeps_every_frame_that_decodes(tmp_path, caplog, rate, channels, fraction):
    # soundfile's read loses a whole block where libsndfile stops part-way (its seek after the read fails)
    data = np.stack([_speechlike(30.0, rate)] * channels, axis=1)
    sf.write(str(tmp_path / "whole.flac"), data, rate)
    whole = (tmp_path / "whole.flac").read_bytes()
    (tmp_path / "cut.flac").write_bytes(whole[: int(len(whole) * fraction)])
    decodes = _libsndfile_decodes(tmp_path / "cut.flac") / rate
    with caplog.at_level("WARNING", logger="ctcdecode_plus"):
        got = load_audio(tmp_path / "cut.flac")
    assert got.duration == pytest.approx(decodes, abs=1e-3) and decodes > 0
    assert f"using the {decodes:.2f} s that decode" in caplog.text


def test_a_flac_that_does_not_say_its_length_is_read_whole_without_a_warning(tmp_path, caplog):
    # a FLAC written to a pipe has 0 total samples in its STREAMINFO: libsndfile then reports 2**63 - 1 frames
    from ctcdecode_plus.audio import stream_chunks

    path = _write(tmp_path / "piped.flac", 45.0, {})
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC"
    data[8 + 13] &= 0xF0  # the 36-bit total-samples field of STREAMINFO: bits 108-143 of the block
    data[8 + 14: 8 + 18] = bytes(4)
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="ctcdecode_plus"):
        assert load_audio(path).duration == pytest.approx(45.0, abs=1e-3)
        assert stream_chunks(path, 16000, 5.0, 1.0, 320) is None  # no length to cut into windows: read whole
    assert not caplog.records


def test_a_wav_written_to_a_pipe_by_sox_is_not_cut_short(tmp_path, caplog):
    import struct

    path = write_tone_wav(tmp_path / "piped.wav", 2.0)
    data = bytearray(path.read_bytes())
    at = data.index(b"data")
    data[at + 4: at + 8] = struct.pack("<I", 0x7FFFF000)  # what sox writes when it cannot seek back
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="ctcdecode_plus"):
        assert load_audio(path).duration == pytest.approx(2.0, abs=0.01)
    assert not caplog.records


def test_an_mp3_damaged_mid_file_keeps_what_decodes(tmp_path, caplog, capfd):
    path = _write(tmp_path / "whole.mp3", 40.0, {"format": "MP3"})
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle: middle + 2000] = bytes(2000)
    (tmp_path / "damaged.mp3").write_bytes(bytes(data))
    capfd.readouterr()
    with caplog.at_level("WARNING", logger="ctcdecode_plus"):
        got = load_audio(tmp_path / "damaged.mp3")  # was "could not decode the audio": all of it lost
    assert 10.0 < got.duration < 30.0 and "damaged.mp3: the file is cut short or damaged" in caplog.text
    assert "mpg123" not in capfd.readouterr().err  # libmpg123's line per damaged frame (a review counted dozens)


@pytest.mark.parametrize("rate,n", [(22050, 617875), (32000, 160001), (44100, 441 * 50 + 7), (8000, 40001)])
def test_streamed_windows_cover_the_samples_load_audio_gives(tmp_path, rate, n):
    # from a review: the streamed length truncated (448344.67 -> 448344 at 16 kHz) where the whole-file resampler
    # rounds (448345): one frame fewer in chunked emissions
    from ctcdecode_plus.audio import load_audio, stream_chunks

    path = tmp_path / "x.wav"
    sf.write(path, (0.1 * np.sin(np.arange(n) / 7.0)).astype(np.float32), rate)
    chunks = list(stream_chunks(path, 16000, 5.0, 1.0, 320))
    assert round(chunks[-1].end * 16000) == len(load_audio(path).samples)


def test_a_pipe_stdin_and_cancelling_channels_get_their_own_message(tmp_path):
    # from a review: /dev/stdin was "the file is empty (0 bytes)", "-" "audio file not found", and a stereo file
    # whose right channel is the left inverted "silent ... check the recording level"
    import os

    from ctcdecode_plus.audio import load_audio

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(AudioError, match="fifo: is a pipe or device, not a file"):
        load_audio(fifo)
    with pytest.raises(AudioError, match="standard input"):
        load_audio("-")
    left = (0.3 * np.sin(np.arange(16000) / 5.0)).astype(np.float32)
    sf.write(tmp_path / "anti.wav", np.stack([left, -left], 1), 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match="anti.wav: the channels cancel out"):
        load_audio(tmp_path / "anti.wav")
    assert np.allclose(load_audio(tmp_path / "anti.wav", channel=0).samples, left, atol=1e-6)
    quiet = np.stack([np.zeros(16000), np.full(16000, 1.5e-4)], 1).astype(np.float32)  # one channel empty, one quiet
    sf.write(tmp_path / "quiet.wav", quiet, 16000, subtype="FLOAT")
    with pytest.raises(AudioError, match="quiet.wav: the audio is silent"):  # not blamed on an inverted channel
        load_audio(tmp_path / "quiet.wav")


def test_a_folder_lists_broken_links_and_pipes_to_fail_in_their_turn(tmp_path):
    """They vanished from the batch without a word (exit 0); now each is a named failure."""
    import os

    from ctcdecode_plus.audio import audio_files

    sf.write(tmp_path / "ok.wav", (0.1 * np.sin(np.arange(16000) / 3)).astype(np.float32), 16000)
    (tmp_path / "dangling.flac").symlink_to(tmp_path / "gone.flac")
    os.mkfifo(tmp_path / "fifo.wav")
    (tmp_path / "x.flac").mkdir()  # a folder named like audio: looked into, not listed
    assert [p.name for p in audio_files(tmp_path)] == ["dangling.flac", "fifo.wav", "ok.wav"]
    with pytest.raises(AudioError, match="dangling.flac: is a link to .*gone.flac, which does not exist"):
        load_audio(tmp_path / "dangling.flac")
    with pytest.raises(AudioError, match="pipe or device"):
        load_audio(tmp_path / "fifo.wav")


def test_an_unreadable_file_is_said_to_be_unreadable_not_misformatted(tmp_path, monkeypatch):
    import ctcdecode_plus.audio as audio

    sf.write(tmp_path / "locked.wav", (0.1 * np.sin(np.arange(16000) / 3)).astype(np.float32), 16000)
    monkeypatch.setattr(audio.os, "access", lambda path, mode: False)  # as another user (root reads everything)
    with pytest.raises(AudioError, match="locked.wav: permission denied"):
        load_audio(tmp_path / "locked.wav")


def test_an_mp3_whose_header_lies_is_read_without_libmpg123s_notes(tmp_path, capfd):
    """A damaged MP3 whose Xing header no longer fits printed libmpg123's own "Warning: Xing stream size off..."
    when the file was opened (the reads were already quiet)."""
    path = _write(tmp_path / "whole.mp3", 6.0, {"format": "MP3"})
    data = path.read_bytes()
    (tmp_path / "spliced.mp3").write_bytes(data[: len(data) // 3] + bytes(range(256)) * 20 + data[len(data) // 3:])
    capfd.readouterr()
    load_audio(tmp_path / "spliced.mp3")
    err = capfd.readouterr().err
    assert "Xing" not in err and "MPEG" not in err


def test_quiet_stderr_in_overlapping_threads_gives_stderr_back(tmp_path):
    """From a review: each thread restored its own saved fd 2, so one that entered while another was inside saved
    /dev/null and put it back last: the process lost its stderr (its tracebacks too) for good."""
    import subprocess
    import sys
    import textwrap

    path = _write(tmp_path / "a.mp3", 1.0, {"format": "MP3"})
    script = textwrap.dedent(f"""
        import os, random, threading, time
        from ctcdecode_plus._quiet import quiet_stderr
        from ctcdecode_plus.audio import load_audio

        def work(seed):
            rng = random.Random(seed)
            for _ in range(40):
                with quiet_stderr():
                    time.sleep(rng.random() / 1000)
                load_audio({str(path)!r})  # an MP3: quiet while it opens and reads

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        os.write(2, b"stderr still works")
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert r.returncode == 0 and b"stderr still works" in r.stderr
