"""Metrics, comparison tables and the command line, end to end on a tiny model."""
from __future__ import annotations

import json
import os
import warnings

import jiwer
import numpy as np
import pytest
import soundfile as sf

from conftest import LIBRI_TEXT, write_tone_wav
from ctcdecode_plus.cli import main
from ctcdecode_plus.compare import Item, compare
from ctcdecode_plus.decoders import BeamSearchDecoder, GreedyDecoder
from ctcdecode_plus.errors import CtcDecodeError, ManifestError
from ctcdecode_plus.manifest import read_manifest
from ctcdecode_plus.metrics import cer, count_hotwords, hotword_counts, normalize_for_scoring, wer


@pytest.mark.parametrize("ref,hyp", [("the cat sat on the mat", "the cat sat mat"), ("a b c", "x b c d e"),
                                     ("hello world", "hello world")])
def test_metrics_agree_with_jiwer(ref, hyp):
    assert wer(ref, hyp) == pytest.approx(jiwer.wer(ref, hyp))
    assert wer(np.array([ref]), (h for h in [hyp])) == wer(ref, hyp)  # any iterable of strings, as before
    assert cer(ref, hyp) == pytest.approx(jiwer.cer(ref, hyp))
    assert wer([ref, "a b"], [hyp, "a"]) == pytest.approx(jiwer.wer([ref, "a b"], [hyp, "a"]))


def test_scoring_normalisation():
    assert normalize_for_scoring("It’s a “Test”, isn't it?") == "IT'S A TEST ISN'T IT"
    assert wer("Hello, World!", "hello world") == 0.0


def test_hotword_counts():
    c = hotword_counts(["use a lambda here", "plain text", "lambda and tuple", "nothing"],
                       ["use a lambda here", "plain lambda", "lambda and couple", "nothing"], ["lambda", "tuple"])
    assert (c.expected, c.found, c.inserted) == (3, 2, 1)
    assert c.recall == pytest.approx(2 / 3)
    assert c.clean_utterances == 2 and c.false_insertion_rate == pytest.approx(0.5)
    assert c.per_hotword == {"lambda": {"expected": 2, "found": 2, "inserted": 1},
                             "tuple": {"expected": 1, "found": 0, "inserted": 0}}
    assert hotword_counts(["a lambda"], ["a lambda"], ["lambda", "lambda"]).expected == 1  # listed twice: once


def test_a_hotword_inside_a_longer_one_counts_once():
    refs = ["restart the kube proxy", "ask kube", "the kube proxy and kube"]
    hyps = ["restart the kube proxy", "ask cube", "the kube proxi and kube"]
    c = hotword_counts(refs, hyps, ["KUBE", "KUBE PROXY"])
    # was expected 5 (each KUBE PROXY also a KUBE), found 4
    assert c.per_hotword == {"KUBE": {"expected": 2, "found": 1, "inserted": 1},
                             "KUBE PROXY": {"expected": 2, "found": 1, "inserted": 0}}
    assert (c.expected, c.found) == (4, 2)
    assert count_hotwords("kube proxy, kube", ["KUBE", "kube", "KUBE PROXY"]) == {"KUBE": 1, "kube": 1, "KUBE PROXY": 1}
    # each occurrence is claimed once, by the longest hotword there (was A 0, B 0, KUBE 0)
    assert count_hotwords("A B C A", ["A", "A B", "A B C"]) == {"A": 1, "A B": 0, "A B C": 1}
    assert count_hotwords("A B C B", ["A B", "B C", "B"]) == {"A B": 1, "B C": 1, "B": 1}
    assert count_hotwords("KUBE PROXY KUBE", ["KUBE", "KUBE PROXY", "kube-proxy"])["KUBE"] == 1
    assert count_hotwords("C++ and C, C#", ["C", "C++", "C#"]) == {"C": 1, "C++": 1, "C#": 1}


def test_compare_api(libri_emissions, pyctc_data):
    items = [Item("libri", libri_emissions, LIBRI_TEXT.upper()), Item("libri2", libri_emissions, "i have a good")]
    result = compare({"greedy": GreedyDecoder(), "beam": BeamSearchDecoder(beam_width=20),
                      "hot": BeamSearchDecoder(beam_width=20, hotwords=["doubt"])}, items, hotwords=["doubt"])
    g = result.decoders["greedy"]
    assert g.utterances == 2 and g.failed == 0 and g.wer == pytest.approx(20 / 28)  # 24-word exact match + 20 insertions over 4 words
    assert g.hotword_recall == 1.0 and g.hotword_false_insertion_rate == 1.0
    assert g.rtf > 0 and g.audio_seconds == pytest.approx(2 * libri_emissions.duration)
    assert len(result.utterances) == 6
    table = result.table()
    assert "greedy" in table and "hotword recall" in table
    data = json.loads(result.to_json())
    assert set(data["decoders"]) == {"greedy", "beam", "hot"} and "wer" in data["decoders"]["beam"]
    assert data["decoders"]["hot"]["hotword_detail"] == {"doubt": {"expected": 1, "found": 1, "inserted": 1}}
    hw_table = result.hotword_table().splitlines()
    assert hw_table[0].split() == ["hotword", "greedy", "beam", "hot"] and hw_table[2].split()[:2] == ["doubt", "1/1"]
    assert "+1" in hw_table[2]
    assert result.to_csv().splitlines()[0].startswith("id,decoder,reference,hypothesis")


def test_manifests(tmp_path):
    (tmp_path / "a.tsv").write_text("audio\ttext\nx.wav\thello\n")
    assert read_manifest(tmp_path / "a.tsv")[0].audio == str(tmp_path / "x.wav")
    (tmp_path / "b.jsonl").write_text(json.dumps({"audio_filepath": "/abs/y.wav", "text": "hi", "duration": 1})
                                      + "\n")
    assert read_manifest(tmp_path / "b.jsonl")[0].audio == "/abs/y.wav"
    for content, msg in [("", "empty"), ("file\ttranscript\nx\ty\n", "header"), ("audio\ttext\n", "no rows"),
                         ('{"audio": 1}\n', "audio_filepath"), ('{"audio_filepath": "x", "text": "y"}\n{bad\n',
                                                                ":2: not valid JSON")]:
        (tmp_path / "m.txt").write_text(content)
        with pytest.raises(ManifestError, match=msg):
            read_manifest(tmp_path / "m.txt")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    for i, (sec, f) in enumerate([(1.0, 300), (1.5, 500), (2.0, 700)]):
        write_tone_wav(d / f"u{i}.wav", sec, 22050 if i == 1 else 16000, freq=f)
    (d / "broken.wav").write_bytes(b"not audio at all")
    (d / "manifest.tsv").write_text("audio\ttext\nu0.wav\tHELLO WORLD\nu1.wav\tLAMBDA TUPLE\nbroken.wav\tX\n"
                                    "u2.wav\tTHE END\n")
    (d / "manifest.jsonl").write_text("".join(json.dumps({"audio_filepath": f"u{i}.wav", "text": "HELLO"}) + "\n"
                                              for i in range(3)))
    return d


def test_cli_transcribe_one_file_per_input(tiny_model_dir, corpus, tmp_path, capsys):
    files = [str(corpus / "u0.wav"), str(corpus / "broken.wav"), str(corpus / "u1.wav")]
    # subtitles of several recordings on stdout would be one broken file: refused before any work, naming the fix
    assert main(["transcribe", *files, "--model", str(tiny_model_dir), "--format", "srt"]) == 2
    assert "-o DIR" in capsys.readouterr().err
    out = tmp_path / "subs"
    assert main(["transcribe", *files, "--model", str(tiny_model_dir), "--format", "srt", "-o", str(out)]) == 1
    listed = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == [".u0.srt.made_with", ".u1.srt.made_with", "u0.srt", "u1.srt"]
    assert "broken.wav" in listed.err
    assert all(line.split("\t")[1].endswith(".srt") for line in listed.out.splitlines())
    assert main(["transcribe", files[0], "--model", str(tiny_model_dir), "--format", "srt", "-o",
                 str(tmp_path / "one.srt")]) == 2  # was a folder named one.srt holding u0.srt
    assert "redirect the output" in capsys.readouterr().err and not (tmp_path / "one.srt").exists()
    assert main(["transcribe", files[0], "--model", str(tiny_model_dir), "--format", "json", "-o", str(out)]) == 0
    data = json.loads((out / "u0.json").read_text())
    assert data["audio"] == files[0] and "words" in data


def test_cli_transcribe_explains_hotwords(tiny_model_dir, corpus, pyctc_data, capsys):
    args = ["transcribe", str(corpus / "u0.wav"), "--model", str(tiny_model_dir), "--lm",
            str(pyctc_data / "bugs_bunny_kenlm.arpa"), "--hotwords", "BUNNY", "--explain-hotwords"]
    assert main(args + ["--hotword-spotting", "50"]) == 0
    err = capsys.readouterr().err
    assert "u0.wav: spotted BUNNY at " in err and "(threshold 50.00)" in err  # a lax threshold finds it somewhere
    assert main(args + ["--hotword-spotting", "off"]) == 0
    assert "hotword spotting was off" in capsys.readouterr().err


def test_cli_transcribe_json(tiny_model_dir, corpus, capsys):
    assert main(["transcribe", str(corpus / "u0.wav"), "--model", str(tiny_model_dir), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["decoder"] == "greedy" and isinstance(out["words"], list)
    assert out["duration"] == round(sf.info(str(corpus / "u0.wav")).duration, 3)  # was the frames' span, 20 ms short
    assert all(set(w) >= {"word", "start", "end"} for w in out["words"])
    assert main(["transcribe", str(corpus / "u0.wav"), str(corpus / "broken.wav"), "--model",
                 str(tiny_model_dir), "--decoder", "beam", "--beam-width", "8"]) == 1
    captured = capsys.readouterr()
    assert "broken.wav" in captured.err and "1 input(s) failed" in captured.err


def test_cli_transcribe_json_lists_a_failed_input_in_its_place(tiny_model_dir, corpus, capsys):
    """Every input has its entry: a bad one is {"audio", "error"} (one bad input alone printed `{}`)."""
    broken, good = str(corpus / "broken.wav"), str(corpus / "u0.wav")
    assert main(["transcribe", broken, "--model", str(tiny_model_dir), "--format", "json"]) == 1
    out = capsys.readouterr()
    alone = json.loads(out.out)
    assert alone["audio"] == broken and "could not decode" in alone["error"] and "1 input(s) failed" in out.err
    assert main(["transcribe", good, broken, "--model", str(tiny_model_dir), "--format", "json"]) == 1
    out = capsys.readouterr()
    both = json.loads(out.out)
    assert [r["audio"] for r in both] == [good, broken] and "text" in both[0] and set(both[1]) == {"audio", "error"}
    assert "1 input(s) failed (of 2):" in out.err
    assert main(["transcribe", broken, "--model", str(tiny_model_dir)]) == 1
    assert "1 input(s) failed (of 1; none succeeded):" in capsys.readouterr().err


def test_cli_emissions_and_compare(tiny_model_dir, corpus, tmp_path, pyctc_data, capsys):
    ems = tmp_path / "ems"
    assert main(["emissions", str(corpus / "u0.wav"), str(corpus / "u1.wav"), "-o", str(ems),
                 "--model", str(tiny_model_dir)]) == 0
    assert sorted(p.name for p in ems.iterdir()) == ["u0.npz", "u1.npz"]
    capsys.readouterr()
    out_json = tmp_path / "cmp.json"
    rc = main(["compare", "--manifest", str(corpus / "manifest.tsv"), "--model", str(tiny_model_dir),
               "--lm", f"bunny={pyctc_data / 'bugs_bunny_kenlm.arpa'}", "--hotwords", "LAMBDA", "TUPLE",
               "--beam-width", "8", "--emissions", str(ems), "--json", str(out_json), "--csv", str(tmp_path / "c.csv")])
    assert rc == 1  # broken.wav failed, the rest was compared
    out = capsys.readouterr()
    assert "broken.wav" in out.err
    data = json.loads(out_json.read_text())
    assert list(data["decoders"]) == ["greedy", "beam", "beam+bunny", "beam+bunny+hotwords"]
    assert all(d["utterances"] == 3 for d in data["decoders"].values())
    assert data["decoders"]["beam+bunny+hotwords"]["hotword_recall"] is not None
    assert len(data["failures"]) == 1 and (ems / "u2.npz").is_file()  # missing emissions were computed and saved
    assert "beam+bunny" in out.out


def test_cli_spotting_background_calibrates_the_hotword_row(tiny_model_dir, corpus, tmp_path, pyctc_data, capsys):
    base = ["compare", "--manifest", str(corpus / "manifest.tsv"), "--model", str(tiny_model_dir),
            "--lm", str(pyctc_data / "bugs_bunny_kenlm.arpa"), "--hotwords", "LAMBDA", "--beam-width", "4",
            "--emissions", str(tmp_path / "ems")]
    out_json = tmp_path / "cmp.json"
    # a background folder with one unreadable file: it is skipped and said, the rest calibrates
    assert main(base + ["--spotting-background", str(corpus), "--spotting-ratio", "0.5", "--json",
                        str(out_json)]) == 1  # broken.wav of the manifest fails, as without spotting
    err = capsys.readouterr().err
    assert "--spotting-background: skipped" in err and "broken.wav" in err
    assert "beam+bugs_bunny_kenlm+hotwords" in json.loads(out_json.read_text())["decoders"]
    assert len(list((tmp_path / "ems" / "background").glob("*.npz"))) >= 2  # cached for the next run
    assert main(base + ["--spotting-background", str(tmp_path / "nowhere")]) == 2
    assert "--spotting-background" in capsys.readouterr().err
    # transcribe takes it too; 'off' turns it off
    wav = str(corpus / "u0.wav")
    tr = ["transcribe", wav, "--model", str(tiny_model_dir), "--lm", str(pyctc_data / "bugs_bunny_kenlm.arpa"),
          "--hotwords", "LAMBDA"]
    assert main(tr + ["--spotting-background", str(corpus / "u1.wav")]) == 0
    assert main(tr + ["--spotting-background", "off"]) == 0


def test_cli_compare_jsonl_manifest(tiny_model_dir, corpus, capsys):
    assert main(["compare", "--manifest", str(corpus / "manifest.jsonl"), "--model", str(tiny_model_dir),
                 "--beam-width", "4"]) == 0
    assert "greedy" in capsys.readouterr().out


@pytest.mark.parametrize("argv,needle", [
    (["transcribe", "x.wav", "--model", "/no/such/model"], "model folder not found"),
    (["compare", "--manifest", "/no/such.tsv", "--model", "x"], "manifest not found"),
    (["transcribe", "x.wav", "--lm", "/no/lm.arpa", "--model", "x"], "language model file not found"),
    (["transcribe", "x.wav", "--hotwords-file", "/no/hw.txt"], "hotwords file not found"),
])
def test_cli_errors_are_one_line(argv, needle, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and err.startswith("error:")


def test_an_empty_hotwords_file_is_an_error(tmp_path, capsys):
    empty = tmp_path / "hw.txt"
    empty.write_text("# only a comment\n\n")
    assert main(["transcribe", "x.wav", "--hotwords-file", str(empty)]) == 2  # was: decoded without hotwords
    err = capsys.readouterr().err
    assert "lists no hotword" in err and "Traceback" not in err


def test_hotword_spotting_option_takes_off_or_a_threshold(capsys):
    from ctcdecode_plus.cli import build_parser

    parser = build_parser()
    base = ["compare", "--manifest", "m.tsv"]
    assert parser.parse_args(base + ["--hotword-spotting", "off"]).hotword_spotting is None
    assert parser.parse_args(base + ["--hotword-spotting", "1.5"]).hotword_spotting == 1.5
    assert parser.parse_args(base).hotword_spotting is None
    for bad in ("-1", "nan", "loud"):
        with pytest.raises(SystemExit):
            parser.parse_args(base + ["--hotword-spotting", bad])
        assert "'off'" in capsys.readouterr().err
    assert parser.parse_args(base + ["--spotting-background", "off"]).spotting_background is None
    assert parser.parse_args(base + ["--spotting-ratio", "0.5"]).spotting_ratio == 0.5
    for bad in ("0", "1.5", "nan", "half"):
        with pytest.raises(SystemExit):
            parser.parse_args(base + ["--spotting-ratio", bad])
        assert "give a number in (0, 1]" in capsys.readouterr().err


def test_argument_errors_are_one_line_and_negative_exponents_are_numbers(capsys):
    from ctcdecode_plus.cli import build_parser

    # --alph was taken for --alpha, which --decoder-folder's overrides (read as written) then missed
    for argv in (["transcribe", "x.wav", "--beam-width", "abc"], ["frob"], ["compare"],
                 ["transcribe", "x", "--alph", "1"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        err = capsys.readouterr().err  # was the usage block, then the error: about 18 lines
        assert exc.value.code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("error: ctcdecode-plus")
    assert build_parser().parse_args(["transcribe", "x.wav", "--beta", "-1e9"]).beta == -1e9  # was "expected one
    # argument": argparse took -1e9 for an option


def test_cli_help(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    assert "--manifest" in capsys.readouterr().out


def test_tune_alpha_beta_prefers_using_the_lm(pyctc_data):
    from ctcdecode_plus.tune import tune_alpha_beta
    from test_decoders import ambiguous_bugs_bunny

    items = [Item("u", ambiguous_bugs_bunny(), "BUGS BUNNY")]
    dec = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", beam_width=8)
    res = tune_alpha_beta(dec, items, alphas=[0.0, 0.5], betas=[0.0, 1.0])
    assert res.alpha == 0.5 and res.wer == 0.0
    assert res.comparison.decoders["alpha=0 beta=0"].wer == 0.5  # without the LM "bogs" wins
    assert dec.alpha == 0.5 and dec.beta == 1.5  # the original decoder is unchanged
    with pytest.raises(TypeError):
        dec.replace(lm="other.arpa")


def test_cli_tune(tiny_model_dir, corpus, tmp_path, pyctc_data, capsys):
    rc = main(["tune", "--manifest", str(corpus / "manifest.jsonl"), "--model", str(tiny_model_dir),
               "--lm", str(pyctc_data / "bugs_bunny_kenlm.arpa"), "--alphas", "0.5", "1", "--betas", "0",
               "--beam-width", "4", "--json", str(tmp_path / "t.json"), "--alpha", "9",
               "--save-decoder", str(tmp_path / "tuned")])
    assert rc == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "best: --alpha" in out and "alpha=1 beta=0" in out
    assert "--alpha is not used: tune tries --alphas" in captured.err  # was silently ignored
    report = json.loads((tmp_path / "t.json").read_text())
    assert len(report["decoders"]) == 2 and f"--alpha {report['best']['alpha']:g} " in out  # the choice, recorded
    assert report["run"]["command"][:2] == ["ctcdecode-plus", "tune"]
    assert report["decoders"]["alpha=1 beta=0"]["settings"]["beam_width"] == 4
    from ctcdecode_plus.decoders import BeamSearchDecoder

    tuned = BeamSearchDecoder.from_pretrained(tmp_path / "tuned")  # the choice, as a folder to decode with
    assert (tuned.alpha, tuned.beta, tuned.beam_width) == (report["best"]["alpha"], report["best"]["beta"], 4)
    assert (tmp_path / "tuned" / "vocab.json").is_file()
    assert main(["tune", "--manifest", str(corpus / "manifest.jsonl"), "--model", str(tiny_model_dir),
                 "--lm", str(pyctc_data / "bugs_bunny_kenlm.arpa"), "--save-decoder", str(tmp_path / "tuned")]) == 2
    assert "already there and not empty" in capsys.readouterr().err
    assert main(["tune", "--manifest", str(corpus / "manifest.jsonl")]) == 2


def test_cli_robustness_fixes(tiny_model_dir, corpus, tmp_path, capsys):
    # emissions: repeated stems get distinct files; an unwritable item does not stop the others
    other = tmp_path / "other"
    other.mkdir()
    (other / "u0.wav").write_bytes((corpus / "u0.wav").read_bytes())
    out = tmp_path / "eo"
    (out / "u1.npz").mkdir(parents=True)  # a folder where the file should go
    rc = main(["emissions", str(corpus / "u0.wav"), str(other / "u0.wav"), str(corpus / "u1.wav"),
               str(corpus / "u2.wav"), "-o", str(out), "--model", str(tiny_model_dir)])
    assert rc == 1
    assert {p.name for p in out.iterdir()} >= {"u0.npz", "u0#1.npz", "u2.npz"}
    assert "u1.wav" in capsys.readouterr().err
    # compare: unwritable outputs fail before the work; cached emissions of another model are refused
    assert main(["compare", "--manifest", str(corpus / "manifest.jsonl"), "--model", str(tiny_model_dir),
                 "--json", "/proc/nope/x.json"]) == 2
    assert "cannot write" in capsys.readouterr().err
    cache = tmp_path / "cache"
    from test_decoders import ambiguous_bugs_bunny

    ambiguous_bugs_bunny().save(cache / "u0.npz")  # 29 lower-case labels, not the tiny model's 32
    assert main(["compare", "--manifest", str(corpus / "manifest.jsonl"), "--model", str(tiny_model_dir),
                 "--emissions", str(cache), "--beam-width", "4"]) == 1
    assert "emissions of another model" in capsys.readouterr().err
    # a hotwords file that is not text
    assert main(["transcribe", str(corpus / "u0.wav"), "--model", str(tiny_model_dir),
                 "--hotwords-file", str(corpus / "u0.wav")]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_cli_checks_hotwords_against_the_model_before_the_audio(tiny_model_dir, corpus, tmp_path, capsys):
    """A hotword the model cannot spell is one up-front error (exit 2), not a failure per file after the
    acoustic model ran on each, and compare computes no emissions for it."""
    files = [str(corpus / f"u{i}.wav") for i in range(3)]
    assert main(["transcribe", *files, "--model", str(tiny_model_dir), "--hotwords", "C++"]) == 2
    err = capsys.readouterr().err
    assert err.count("'C++'") == 1 and "outside the model's alphabet" in err and "input(s) failed" not in err
    cache = tmp_path / "cache"
    assert main(["compare", "--manifest", str(corpus / "manifest.jsonl"), "--model", str(tiny_model_dir),
                 "--emissions", str(cache), "--hotwords", "ŁÓDŹ"]) == 2  # Ł has no plain form
    assert "outside the model's alphabet" in capsys.readouterr().err
    assert not cache.exists() or not any(cache.iterdir())


@pytest.mark.parametrize("kwargs,needle", [({"beam_width": -1}, "beam_width"), ({"alpha": float("nan")}, "alpha"),
                                           ({"blank_skip_threshold": -1.0}, "blank_skip_threshold"),
                                           ({"alpha": -5.0}, "LM weight must be >= 0")])  # was garbled text, exit 0
def test_beam_options_are_checked(kwargs, needle):
    from ctcdecode_plus.errors import CtcDecodeError

    with pytest.raises(CtcDecodeError, match=needle):
        BeamSearchDecoder(**kwargs)
    assert BeamSearchDecoder(hotwords="HELLO WORLD").hotwords == ["HELLO WORLD"]


def test_compare_reports_empty_reference(libri_emissions):
    result = compare({"greedy": GreedyDecoder()}, [Item("a", libri_emissions, LIBRI_TEXT), Item("b", libri_emissions, " ")])
    assert result.decoders["greedy"].utterances == 1 and result.failures[0]["id"] == "b"
    # from a review: nothing left to score gave every decoder WER 0.0; malformed arguments were AttributeErrors
    for items in ([], [Item("b", libri_emissions, "?!")]):
        with pytest.raises(CtcDecodeError, match="no utterance to score"):
            compare({"greedy": GreedyDecoder()}, items)
    with pytest.raises(CtcDecodeError, match="mapping"):
        compare([GreedyDecoder()], [Item("a", libri_emissions, LIBRI_TEXT)])
    with pytest.raises(CtcDecodeError, match="not an Item"):
        compare({"greedy": GreedyDecoder()}, [Item("a", None, LIBRI_TEXT)])


def test_cli_compare_lists_a_reference_with_nothing_to_score(tiny_model_dir, corpus, tmp_path, capsys):
    (corpus / "punct.tsv").write_text("audio\ttext\nu0.wav\tHELLO WORLD\nu2.wav\t?!\n")
    assert main(["compare", "--manifest", str(corpus / "punct.tsv"), "--model", str(tiny_model_dir)]) == 1
    out = capsys.readouterr()  # was exit 0, and the row only in the JSON's failures
    err = out.err
    assert "1 input(s) failed" in err and "u2.wav" in err and "no words to score" in err
    assert "1 utterances" in out.out and "1 more not scored (listed below" in out.out  # not a silent 'failed 0'
    for manifest, row in (("empty.tsv", "audio\ttext\nu0.wav\tHELLO WORLD\nu2.wav\t\n"),  # an empty reference:
                          ("empty.jsonl", '{"audio_filepath": "u0.wav", "text": "HELLO WORLD"}\n'  # the same (it
                                          '{"audio_filepath": "u2.wav", "text": " "}\n')):  # stopped the run, exit 2)
        (corpus / manifest).write_text(row)
        assert main(["compare", "--manifest", str(corpus / manifest), "--model", str(tiny_model_dir)]) == 1
        err = capsys.readouterr().err
        assert "1 input(s) failed" in err and "u2.wav" in err and "no words to score" in err
    (corpus / "punct.tsv").write_text("audio\ttext\nu2.wav\t?!\n")
    assert main(["compare", "--manifest", str(corpus / "punct.tsv"), "--model", str(tiny_model_dir)]) == 2
    assert "nothing to score" in capsys.readouterr().err  # (tune reads manifests the same way: _manifest_items)


def test_tune_hotwords_respects_false_insertions(tmp_path):
    from ctcdecode_plus.tune import tune_hotwords
    from test_decoders import spell

    with_hw = spell([{"k": 0.7, "c": 0.3}, "a", "t", " ", "s", "a", "t"])     # "cat sat", weakly "cat"
    without = spell([{"k": 0.97, "c": 0.03}, "i", "t", " ", "s", "a", "t"])  # "kit sat": must stay
    items = [Item("a", with_hw, "cat sat"), Item("b", without, "kit sat")]
    res = tune_hotwords(BeamSearchDecoder(beam_width=16), items, ["cat"], weights=[0.5, 2.0, 50.0])
    assert res.recall == 1.0 and res.false_insertion_rate == 0.0 and res.weight == 2.0 and res.spotting is None
    over = res.comparison.decoders["weight=50"]
    assert over.hotword_recall == 1.0  # very large weights still recall; the choice is the smallest good one


def test_tune_hotwords_can_choose_spotting(tmp_path):
    from ctcdecode_plus.tune import tune_hotwords
    from test_decoders import spell, write_bigram_arpa

    # "c" is below token_min_logp: only spotting finds "cat", which the LM prefers to the unknown "kat"
    lm = write_bigram_arpa(tmp_path / "sat.arpa", ["sat", "on"])
    items = [Item("a", spell([{"k": 0.995, "c": 0.005}, "a", "t", " ", "s", "a", "t"]), "cat sat"),
             Item("b", spell([{"k": 0.97, "c": 0.03}, "i", "t", " ", "s", "a", "t"]), "kit sat")]
    res = tune_hotwords(BeamSearchDecoder(lm, beam_width=16, spotting_margin=None), items, ["cat"], weights=[10.0], spotting=[None, 2.0])
    assert res.spotting == 2.0 and res.ratio is None and res.recall == 1.0 and res.false_insertion_rate == 0.0
    assert res.comparison.decoders["weight=10"].hotword_recall == 0.0
    # where thresholds tie on every score, the larger one (more candidates, each judged by the check) is chosen
    tied = tune_hotwords(BeamSearchDecoder(lm, beam_width=16, spotting_margin=None), items, ["cat"], weights=[10.0],
                         spotting=[None, 2.0, 4.0])
    assert tied.comparison.decoders["weight=10 spot=2"].hotword_recall == 1.0
    assert tied.spotting == 4.0 and tied.recall == 1.0 and tied.false_insertion_rate == 0.0
    # calibrated thresholds: background speech with a near "cat" ("cut", deficit ln(0.6/0.4)/3 per character)
    # leaves "cat" in item a (1.8 per character) unspotted at any ratio <= 1; a distant one lets it through
    near = [spell(["c", {"u": 0.6, "a": 0.4}, "t"])]
    far = [spell(["d", "o", "g"])]
    cal = tune_hotwords(BeamSearchDecoder(lm, beam_width=16, spotting_margin=None), items, ["cat"], weights=[10.0], spotting=[None],
                        background=far, ratios=[0.5, 1.0])
    assert cal.ratio == 1.0 and cal.spotting is None and cal.recall == 1.0
    assert "weight=10 spot=x0.5" in cal.comparison.decoders
    # the chosen setting as a decoder (calibrated), which decodes as the sweep scored it
    assert cal.decoder.spotting_floors and cal.decoder.hotword_weight == 10.0
    assert cal.decoder.decode(items[0].emissions).text == "cat sat"
    strict = tune_hotwords(BeamSearchDecoder(lm, beam_width=16, spotting_margin=None), items, ["cat"], weights=[10.0], spotting=[None],
                           background=near, ratios=[1.0])
    assert strict.comparison.decoders["weight=10 spot=x1"].hotword_recall == 0.0


def test_transcribe_says_when_beam_options_are_ignored(tiny_model_dir, corpus, capsys):
    wav = str(corpus / "u0.wav")
    assert main(["transcribe", wav, "--model", str(tiny_model_dir), "--beam-width", "8"]) == 0
    assert "note: --beam-width: beam-search options, ignored: this run decodes greedily" in capsys.readouterr().err
    assert main(["transcribe", wav, "--model", str(tiny_model_dir), "--decoder", "greedy", "--hotwords", "CAT"]) == 0
    assert "--hotwords: beam-search options, ignored: this run decodes greedily (--decoder greedy)" in \
        capsys.readouterr().err
    assert main(["transcribe", wav, "--model", str(tiny_model_dir), "--beam-width", "8", "--decoder", "beam"]) == 0
    assert "note:" not in capsys.readouterr().err


@pytest.mark.parametrize("how,rc", [("ctrl-c", 130), ("sigterm", 143)])
def test_transcribe_interrupted_keeps_the_finished_files(tiny_model_dir, corpus, capsys, monkeypatch, how, rc):
    """Ctrl-C in a long batch: the files already transcribed are still printed (as valid JSON), exit 130. SIGTERM
    (timeout, systemd, batch schedulers) alike, exit 143: the JSON of the finished files was lost (0 bytes)."""
    import os
    import signal

    from ctcdecode_plus.decoders import GreedyDecoder

    calls = {"n": 0}
    original = GreedyDecoder.decode

    def decode(self, em):
        calls["n"] += 1
        if calls["n"] == 3:
            if how == "ctrl-c":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGTERM)  # the handler raises in this frame, before the decode
        return original(self, em)

    monkeypatch.setattr(GreedyDecoder, "decode", decode)
    before = signal.getsignal(signal.SIGTERM)
    files = [str(corpus / f"u{i}.wav") for i in range(3)]
    assert main(["transcribe", *files, "--model", str(tiny_model_dir), "--format", "json"]) == rc
    out = capsys.readouterr()
    assert [r["audio"] for r in json.loads(out.out)] == files[:2]
    assert "interrupted: 2 of 3 inputs processed" in out.err
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is put back


def test_compare_interrupted_keeps_computed_emissions(tiny_model_dir, corpus, tmp_path, monkeypatch):
    """Emissions are saved to --emissions slice by slice, so a rerun after Ctrl-C starts where it stopped."""
    import ctcdecode_plus.cli as cli
    from ctcdecode_plus.acoustic import AcousticModel

    monkeypatch.setattr(cli, "_SAVE_EMISSIONS_EVERY", 1)
    original, calls = AcousticModel.emissions_batch, {"n": 0}

    def batch(self, *a, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, *a, **kw)

    monkeypatch.setattr(AcousticModel, "emissions_batch", batch)
    cache = tmp_path / "em"
    assert main(["compare", "--manifest", str(corpus / "manifest.jsonl"), "--model", str(tiny_model_dir),
                 "--emissions", str(cache)]) == 130
    assert [p.name for p in cache.iterdir()] == ["u0.npz"]


def test_tune_notes_a_choice_at_the_edge_of_its_grid(capsys):
    # session 20: the demo's hotword weight was the largest of 0 3 6 10 tried; with 15 and 20 it was still 10
    from ctcdecode_plus.cli import _note_grid_edge

    _note_grid_edge("hotword-weight", [0, 3, 6, 10], 10.0, floor=0.0)
    assert "--hotword-weight 10 is the largest of --hotword-weights tried" in capsys.readouterr().err
    _note_grid_edge("hotword-weight", [0, 3, 6, 10, 15, 20], 10.0, floor=0.0)
    _note_grid_edge("alpha", [0, 0.5, 1], 0.0, floor=0.0)  # at the lowest it may take
    _note_grid_edge("alpha", [0.5, 1], 1.0, floor=0.0)  # two values: no grid to speak of
    assert capsys.readouterr().err == ""
    _note_grid_edge("beta", [0, 1.5, 3], 0.0, floor=None)
    assert "try smaller values too" in capsys.readouterr().err


def test_tune_prints_hotword_options_that_reproduce_the_choice():
    from types import SimpleNamespace

    from ctcdecode_plus.cli import _hotword_options, build_parser

    bg = "demo/background/manifest.tsv"
    calibrated = _hotword_options(SimpleNamespace(weight=3.0, spotting=None, ratio=1.0), bg)
    assert calibrated == f"--hotword-weight 3 --spotting-background {bg} --spotting-ratio 1"
    capped = _hotword_options(SimpleNamespace(weight=6.0, spotting=2.0, ratio=0.5), bg)
    assert capped.endswith("--spotting-ratio 0.5 --hotword-spotting 2")
    assert _hotword_options(SimpleNamespace(weight=10.0, spotting=None, ratio=None), None) == \
        "--hotword-weight 10 --hotword-spotting off"
    assert _hotword_options(SimpleNamespace(weight=10.0, spotting=1.5, ratio=None), None).endswith("spotting 1.5")
    # the printed options parse as compare's own
    args = build_parser().parse_args(["compare", "--manifest", "m.tsv", *capped.split()])
    assert (args.hotword_weight, args.spotting_ratio, args.hotword_spotting) == (6.0, 0.5, 2.0)
    assert str(args.spotting_background) == bg


def test_cli_transcribe_decodes_saved_emissions_without_the_model(libri_emissions, pyctc_data, tmp_path, capsys):
    folder = tmp_path / "ems"
    folder.mkdir()
    libri_emissions.save(folder / "a.npz")
    libri_emissions.save(folder / "b.npz")
    (folder / "bad.npz").write_text("not emissions")
    # the model named does not exist: a run that needed it would fail on it
    args = ["transcribe", str(folder), "--model", str(tmp_path / "no-model"), "--lm",
            str(pyctc_data / "bugs_bunny_kenlm.arpa"), "--alpha", "0.5", "--beam-width", "16"]
    assert main(args) == 1
    captured = capsys.readouterr()
    expected = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", alpha=0.5, beam_width=16).decode(
        libri_emissions).text
    assert f"{folder / 'a.npz'}\t{expected}" in captured.out and f"{folder / 'b.npz'}\t{expected}" in captured.out
    assert "bad.npz: not an emissions .npz" in captured.err and "1 input(s) failed" in captured.err
    assert main(["transcribe", str(folder / "a.npz"), str(tmp_path / "x.wav"), "--model",
                 str(tmp_path / "no-model")]) == 2  # audio among the inputs: the model is needed, and missing
    assert "no-model" in capsys.readouterr().err


def test_transcribe_function_takes_emissions(libri_emissions, tmp_path):
    from ctcdecode_plus.pipeline import transcribe

    path = libri_emissions.save(tmp_path / "u.npz")
    greedy = GreedyDecoder().decode(libri_emissions).text
    assert transcribe(path, model=tmp_path / "no-model").text == greedy  # never loads the model
    assert [t.text for t in transcribe([libri_emissions, path], model=tmp_path / "no-model")] == [greedy, greedy]


def test_cli_output_into_a_closed_pipe_is_not_a_traceback(libri_emissions, tmp_path):
    import subprocess
    import sys

    for i in range(40):  # JSON of 40 utterances with word times: more than a pipe buffer holds
        libri_emissions.save(tmp_path / f"u{i:02d}.npz")
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from ctcdecode_plus.cli import main; "
                             f"sys.exit(main(['transcribe', {str(tmp_path)!r}, '--format', 'json']))"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)  # like `| head -c 10`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and "Traceback" not in err, err


def test_srt_needs_a_whole_number_of_words_per_cue(libri_emissions):
    from ctcdecode_plus.errors import CtcDecodeError

    t = GreedyDecoder().decode(libri_emissions)
    assert t.to_srt(max_words=4).startswith("1\n00:00:")
    for bad in (0, -1, 2.5):
        with pytest.raises(CtcDecodeError, match="max_words"):  # 0 was a ValueError from range(), -1 an empty file
            t.to_srt(max_words=bad)


def test_scoring_keeps_combining_marks_and_counts_as_jiwer():
    # Devanagari vowel signs and viramas are marks, not punctuation: they were turned into spaces
    assert normalize_for_scoring("नमस्ते दुनिया") == "नमस्ते दुनिया"
    for ref, hyp in [("मैं", "में"), ("हिंदी", "हिंदु"), ("", "hello"), ("a b", "a")]:
        assert wer(ref, hyp) == pytest.approx(jiwer.wer(ref, hyp)), (ref, hyp)
        assert cer(ref, hyp) == pytest.approx(jiwer.cer(ref, hyp)), (ref, hyp)
    with pytest.raises(CtcDecodeError, match="2 references but 1 hypotheses"):
        wer(["a b", "c"], ["a b"])  # was silently cut to the shorter list


def test_wer_normalises_for_scoring_unless_told_not_to():
    """The tables score normalised text; normalize=False scores the strings as jiwer does."""
    for ref, hyp in [("Hello, World!", "HELLO WORLD"), ("THE CAT-SAT", "THE CAT SAT"), ("a  b ", "a b")]:
        assert wer(ref, hyp) == 0.0 and cer(ref, hyp) == 0.0
        assert wer(ref, hyp, normalize=False) == pytest.approx(jiwer.wer(ref, hyp)), (ref, hyp)
        assert cer(ref, hyp, normalize=False) == pytest.approx(jiwer.cer(ref, hyp)), (ref, hyp)
    assert wer("Hello, World!", "HELLO WORLD", normalize=False) == 1.0


def test_hotwords_with_symbols_and_repeated_spellings_count_once():
    c = hotword_counts(["c code and c++ code"], ["c code and c code"], ["C++"])
    assert (c.expected, c.found) == (1, 0)  # C++ was scored as every C
    c = hotword_counts(["heappush it", "other"], ["heap push it", "heappush"], ["HEAPPUSH", "heappush"])
    assert (c.expected, c.inserted, list(c.per_hotword)) == (1, 1, ["HEAPPUSH"])  # was counted twice


def test_manifest_ids_are_unique_and_rows_split_on_line_breaks_only(tmp_path):
    for name in ("x", "y", "z"):
        (tmp_path / name).mkdir()
    (tmp_path / "m.tsv").write_text("audio\ttext\nx/a.wav\tONE\ny/a.wav\tTWO\nz/a#1.wav\tTHREE\n")
    # was a, a#1, a#1; then a, a#1, a#1#1 (the file a#1.wav named after the second a.wav): each file keeps its own
    assert [e.id for e in read_manifest(tmp_path / "m.tsv")] == ["a", "a#2", "a#1"]
    (tmp_path / "m.jsonl").write_text(json.dumps({"audio_filepath": "x/a.wav", "text": "ONE\u2028TWO"},
                                                  ensure_ascii=False) + "\n", encoding="utf-8")
    assert len(read_manifest(tmp_path / "m.jsonl")) == 1  # U+2028 inside the text was a line break


def test_table_with_an_unknown_baseline_says_so(libri_emissions):
    from ctcdecode_plus.errors import CtcDecodeError

    result = compare({"greedy": GreedyDecoder()}, [Item("u", libri_emissions, LIBRI_TEXT)])
    with pytest.raises(CtcDecodeError, match="baseline='beam'"):
        result.table(baseline="beam")


def test_tune_hotwords_without_hotword_free_utterances_still_chooses_by_recall(caplog):
    from ctcdecode_plus.emissions import Emissions
    from ctcdecode_plus.tune import tune_hotwords

    labels = [""] + list(" ABCDEFGHIJKLMNOPQRSTUVWXYZ'")
    lp = np.full((7, len(labels)), 1e-6)
    for i, frame in enumerate([{"": 1}, {"C": 0.6, "K": 0.4}, {"U": 1}, {"B": 1}, {"E": 1}, {"": 1}, {"": 1}]):
        for label, p in frame.items():
            lp[i, labels.index(label)] = p
    em = Emissions.from_logits(np.log(lp), labels, 0.02, "kube")
    with caplog.at_level("WARNING", logger="ctcdecode_plus"):
        result = tune_hotwords(BeamSearchDecoder(), [Item("u", em, "KUBE")], ["KUBE"], weights=[0, 10])
    assert result.weight == 10 and result.recall == 1.0  # was weight 0 (recall 0): NaN false insertions
    assert "false insertions cannot be measured" in caplog.text


def test_a_quoted_tsv_field_is_unquoted(tmp_path):
    (tmp_path / "m.tsv").write_text('audio\ttext\n"a b.wav"\t"SAY ""HI"""\n')
    (entry,) = read_manifest(tmp_path / "m.tsv")
    assert entry.audio.endswith("a b.wav") and entry.id == "a b" and entry.text == 'SAY "HI"'  # kept the quotes


def test_srt_cues_break_at_pauses():
    from ctcdecode_plus.transcript import Transcript, Word

    words = [Word("ONE", 0.0, 0.4), Word("TWO", 0.5, 0.9), Word("THREE", 5.0, 5.4), Word("FOUR", 5.5, 5.9)]
    srt = Transcript("ONE TWO THREE FOUR", words).to_srt()
    assert srt.count(" --> ") == 2  # was one cue on screen through the 4 s of silence
    assert "00:00:00,000 --> 00:00:00,900\nONE TWO" in srt and "00:00:05,000 --> 00:00:05,900\nTHREE FOUR" in srt
    assert Transcript("ONE TWO THREE FOUR", words).to_srt(max_gap=10).count(" --> ") == 1
    nine = [Word(f"W{i}", 0.5 * i, 0.5 * i + 0.4) for i in range(9)]
    cues = Transcript(" ".join(w.word for w in nine), nine).to_srt().split("\n\n")
    assert [len(c.splitlines()[2].split()) for c in cues] == [4, 5]  # was 8 + a lone word on screen for 0.4 s
    vtt = Transcript("ONE TWO THREE FOUR", words + [Word("FIVE", 3725.25, 3726.0)]).to_vtt()
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:00.900\nONE TWO\n\n00:00:05.000 --> 00:00:05.900\n")
    assert vtt.endswith("\n01:02:05.250 --> 01:02:06.000\nFIVE\n") and vtt.count(" --> ") == 3
    # a cue longer than 42 characters is shown on two lines, broken where the longer line is shortest (a
    # long-recording audit found cues of up to 68 characters on one line)
    long = [Word(w, 0.3 * i, 0.3 * i + 0.25) for i, w in enumerate(
        "TEST IF THE ADDRESS IS RESERVED FOR LOOPBACK".split())]  # 8 words, 44 characters: one cue
    assert Transcript("", long).to_srt().split("\n")[2:4] == ["TEST IF THE ADDRESS IS", "RESERVED FOR LOOPBACK"]
    assert "\nTEST IF THE ADDRESS IS\nRESERVED FOR LOOPBACK\n" in Transcript("", long).to_vtt()
    assert "\n" not in Transcript("", long[:4]).to_srt().split("\n", 2)[2].strip()  # a short cue stays one line


def test_ctm_lines_for_scoring_tools(tmp_path, libri_emissions, capsys):
    from ctcdecode_plus.transcript import Transcript, Word

    t = Transcript("ONE C++ NEW YORK", [Word("ONE", 0.12, 0.5, 0.9), Word("C++", 0.6, 1.0),
                                        Word("NEW YORK", 1.25, 2.0, 0.51234)])
    assert t.to_ctm("utt_1") == ("utt_1 1 0.120 0.380 ONE 0.900\nutt_1 1 0.600 0.400 C++\n"
                                                   "utt_1 1 1.250 0.750 NEW_YORK 0.512\n")
    assert Transcript("", []).to_ctm("x") == ""
    for bad in ("", "a b", None):
        with pytest.raises(CtcDecodeError, match="recording="):
            t.to_ctm(bad)
    # the CLI: several inputs on stdout (each line names its recording), or one file each with -o
    npz = [libri_emissions.save(tmp_path / "a.npz"), libri_emissions.save(tmp_path / "b c.npz")]
    assert main(["transcribe", *map(str, npz), "--format", "ctm"]) == 0
    lines = capsys.readouterr().out.splitlines()
    words = GreedyDecoder().decode(libri_emissions).words
    assert len(lines) == 2 * len(words) and lines[0].startswith("a 1 ") and lines[-1].startswith("b_c 1 ")
    assert [float(x) for x in lines[0].split()[2:4]] == pytest.approx([words[0].start,
                                                                       words[0].end - words[0].start], abs=1e-3)
    assert main(["transcribe", str(npz[0]), "--format", "ctm", "-o", str(tmp_path / "ctm")]) == 0
    written = (tmp_path / "ctm" / "a.ctm").read_text().splitlines()  # a ";;" comment (how it was made), then the words
    assert written[0].startswith(";; ctcdecode-plus made_with {") and written[1:] == lines[:len(words)]


def test_cli_writes_webvtt(tiny_model_dir, corpus, tmp_path, capsys):
    files = [str(corpus / "u0.wav"), str(corpus / "u1.wav")]
    assert main(["transcribe", *files, "--model", str(tiny_model_dir), "--format", "vtt"]) == 2
    assert "-o DIR" in capsys.readouterr().err  # two recordings' subtitles in one stream would be one broken file
    assert main(["transcribe", *files, "--model", str(tiny_model_dir), "--format", "vtt", "-o", str(tmp_path)]) == 0
    assert all((tmp_path / f"u{i}.vtt").read_text().startswith("WEBVTT\n") for i in (0, 1))


def test_hotword_punctuation_is_dropped_unless_it_makes_the_term():
    c = hotword_counts(["we ship it on Node.js.", "it runs"], ["WE SHIP IT ON Node.js", "it runs"], ["Node.js"])
    assert (c.expected, c.found, c.inserted) == (1, 1, 0)  # the full stop after it is not part of the term
    assert hotword_counts(["t mobile"], ["x"], ["T-Mobile"]).expected == 1
    from ctcdecode_plus.manifest import unique_ids

    assert unique_ids(["a", "a", "a#1", "a"]) == ["a", "a#2", "a#1", "a#3"]
    assert unique_ids(["a#1", "a", "a", "a#1"]) == ["a#1", "a", "a#2", "a#1#1"]
    assert unique_ids(["b"] * 3) == ["b", "b#1", "b#2"]


def test_saved_emissions_in_a_manifest_and_as_audio(tiny_model_dir, corpus, tmp_path, capsys):
    # from a review: a .npz listed in a manifest, or given to `emissions`, got "could not decode the audio ...
    # convert it with ffmpeg"; an empty folder was only "is a folder"
    from ctcdecode_plus import load_model

    load_model(tiny_model_dir).emissions(corpus / "u0.wav").save(tmp_path / "u0.npz")
    (tmp_path / "m.tsv").write_text("audio\ttext\nu0.npz\tHELLO WORLD\n")
    assert main(["compare", "--manifest", str(tmp_path / "m.tsv"), "--model", str(tiny_model_dir)]) == 0
    assert main(["emissions", str(tmp_path / "u0.npz"), "--model", str(tiny_model_dir), "-o", str(tmp_path / "o")]) == 1
    assert "is saved emissions (.npz), not audio" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["transcribe", str(tmp_path / "empty"), "--model", str(tiny_model_dir)]) == 1
    assert "this one has none" in capsys.readouterr().err


def test_a_hotwords_file_names_the_bad_line_and_notes_repeats(tmp_path, capsys):
    hw = tmp_path / "hw.txt"
    hw.write_text("COROUTINE\n# a comment\nSTDLIB:\n")
    assert main(["spoken-forms", "--hotwords-file", str(hw)]) == 2
    assert f"{hw}, line 3: hotword 'STDLIB:'" in capsys.readouterr().err  # was the hotword only, no file or line
    hw.write_text("COROUTINE\n  COROUTINE \nHEAPPUSH\n")  # (case matters: US and us are two words to a cased model)
    assert main(["spoken-forms", "--hotwords-file", str(hw)]) == 0
    out = capsys.readouterr()
    assert out.out.split() == ["COROUTINE", "HEAPPUSH"] and "more than once (kept once): COROUTINE" in out.err


def test_cli_transcribes_with_a_saved_decoder_folder(tmp_path, pyctc_data, libri_emissions, capsys):
    npz = libri_emissions.save(tmp_path / "libri.npz")
    dec = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", alpha=0.7, beta=2.0, hotwords=["rabbit"],
                            hotword_weight=4.0)
    folder = dec.save_pretrained(tmp_path / "decoder", libri_emissions.labels)
    assert main(["transcribe", str(npz), "--decoder-folder", str(folder)]) == 0
    assert capsys.readouterr().out.strip() == dec.decode(libri_emissions).text  # its LM and settings, not greedy
    assert main(["transcribe", str(npz), "--decoder-folder", str(folder), "--alpha", "0", "--beta", "0"]) == 0
    plain = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", alpha=0, beta=0, hotwords=["rabbit"],
                              hotword_weight=4.0).decode(libri_emissions).text
    assert capsys.readouterr().out.strip() == plain  # options written beside it override the saved ones
    assert main(["transcribe", str(npz), "--decoder-folder", str(folder), "--lm", str(pyctc_data / "x.arpa")]) == 2
    assert "brings its own LM" in capsys.readouterr().err


def test_transcribe_o_writes_each_file_whole_or_not_at_all(tiny_model_dir, corpus, tmp_path, monkeypatch):
    """A kill mid-write left a truncated .json/.srt for the next stage; the temporary file is removed too."""
    import builtins

    import ctcdecode_plus._files as files

    class Killed:  # a file that takes 10 characters, then the process is interrupted
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, text):
            self.fh.write(text[:10])
            raise KeyboardInterrupt

    monkeypatch.setattr(files, "open", lambda *a, **k: Killed(builtins.open(*a, **k)), raising=False)
    out = tmp_path / "out"
    assert main(["transcribe", str(corpus / "u0.wav"), "--model", str(tiny_model_dir), "--format", "json",
                 "-o", str(out)]) == 130
    assert list(out.iterdir()) == []  # neither a half u0.json nor its temporary file


def test_skip_existing_finishes_an_interrupted_run(tiny_model_dir, corpus, tmp_path, capsys):
    """A rerun of `emissions -o` / `transcribe -o` redid every input; --skip-existing does the missing ones."""
    import shutil

    files = [str(corpus / f"u{i}.wav") for i in range(3)]
    ems = tmp_path / "ems"
    assert main(["emissions", *files, "-o", str(ems), "--model", str(tiny_model_dir)]) == 0
    (ems / "u1.npz").unlink()
    kept = (ems / "u0.npz").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["emissions", *files, "-o", str(ems), "--model", str(tiny_model_dir), "--skip-existing"]) == 0
    out = capsys.readouterr()
    assert out.out.count("\t") == 2 and "u1.wav" in out.out and "2 of 3 input(s) skipped" in out.err
    assert (ems / "u1.npz").is_file() and (ems / "u0.npz").stat().st_mtime_ns == kept
    txt = tmp_path / "txt"
    assert main(["transcribe", str(ems), "-o", str(txt)]) == 0
    (txt / "u2.txt").unlink()
    capsys.readouterr()
    assert main(["transcribe", str(ems), "-o", str(txt), "--skip-existing"]) == 0
    assert capsys.readouterr().out.strip().endswith("u2.txt") and (txt / "u2.txt").is_file()
    assert main(["transcribe", str(ems), "--skip-existing"]) == 2  # nothing to compare with without -o
    # two inputs with one name: the second is written as u0#1, and a note says so (the suffix follows the order)
    (tmp_path / "other").mkdir()
    shutil.copy(files[0], tmp_path / "other" / "u0.wav")
    capsys.readouterr()
    assert main(["transcribe", files[0], str(tmp_path / "other" / "u0.wav"), "--model", str(tiny_model_dir),
                 "-o", str(tmp_path / "same")]) == 0
    err = capsys.readouterr().err
    assert "1 input(s) share a file name" in err and "u0.wav -> u0#1" in err
    assert sorted(p.name for p in (tmp_path / "same").iterdir()) == [".u0#1.txt.made_with", ".u0.txt.made_with",
                                                                     "u0#1.txt", "u0.txt"]
    assert main(["transcribe", files[0], str(tmp_path / "other" / "u0.wav"), "--model", str(tiny_model_dir)]) == 0
    assert "share a file name" not in capsys.readouterr().err  # nothing is written: no note
    # across runs: --skip-existing neither skips nor overwrites a file that another input of the same name made
    # (emissions and JSON say their input; it failed silently before: the second folder's u0 was skipped)
    other = str(tmp_path / "other" / "u0.wav")
    kept = (ems / "u0.npz").stat().st_mtime_ns
    for command, options, folder in (("emissions", [], ems), ("transcribe", ["--format", "json"], tmp_path / "js")):
        options = [*options, "--model", str(tiny_model_dir), "-o", str(folder)]
        if command == "transcribe":
            assert main(["transcribe", *files, *options]) == 0
            kept = (folder / "u0.json").stat().st_mtime_ns
        capsys.readouterr()
        assert main([command, other, *files[1:], *options, "--skip-existing"]) == 1
        err = capsys.readouterr().err
        assert "1 input(s) failed (of 3)" in err and f"made from {files[0]}" in err and "another -o folder" in err
        assert "2 of 3 input(s) skipped" in err
        assert (folder / ("u0.npz" if command == "emissions" else "u0.json")).stat().st_mtime_ns == kept
        assert main([command, *files, *options, "--skip-existing"]) == 0  # the same files: skipped
        # both u0 inputs: the first run's u0 is now numbered u0#1, and is found under its old name, not made again
        capsys.readouterr()
        assert main([command, other, files[0], *options, "--skip-existing"]) == 1
        assert "1 of 2 input(s) skipped" in capsys.readouterr().err
        assert not list(folder.glob("u0#1.*"))
        # the other way round (a walkthrough found it): an earlier run numbered this input u0#1; given alone it is
        # u0 now, whose file another input made: its own u0#1 is found and skipped, not failed as a clash
        both = folder.with_name(folder.name + "_both")
        options = [str(both) if o == str(folder) else o for o in options]
        assert main([command, files[0], other, *options]) == 0
        capsys.readouterr()
        assert main([command, other, *options, "--skip-existing"]) == 0
        assert "1 of 1 input(s) skipped" in capsys.readouterr().err


def test_skip_existing_compares_where_inputs_are_not_how_they_were_typed(tiny_model_dir, corpus, tmp_path,
                                                                          monkeypatch, capsys):
    """From a review: a path saved as typed ("data/u0.wav") named another file from another folder: the same input
    given another way failed as a clash, and another input of the same name could pass. Emissions now keep where
    their input was, and so do JSON transcripts; a relative path that is all a file says is not compared."""
    import shutil

    for folder, wav in (("A", "u0.wav"), ("B", "u1.wav")):  # B's data/u0.wav is another recording
        (tmp_path / folder / "data").mkdir(parents=True)
        shutil.copy(corpus / wav, tmp_path / folder / "data" / "u0.wav")
    model, out = ["--model", str(tiny_model_dir)], tmp_path / "out"
    js = ["--format", "json", "-o", str(out / "js")]
    monkeypatch.chdir(tmp_path / "A")
    assert main(["emissions", "data/u0.wav", *model, "-o", str(out)]) == 0
    assert main(["transcribe", "data/u0.wav", *model, *js]) == 0
    monkeypatch.chdir(tmp_path / "B")
    capsys.readouterr()
    same = str(tmp_path / "A" / "data" / "u0.wav")
    assert main(["emissions", same, *model, "-o", str(out), "--skip-existing"]) == 0
    assert main(["transcribe", same, *model, *js, "--skip-existing"]) == 0
    assert capsys.readouterr().err.count("1 of 1 input(s) skipped") == 2
    assert main(["emissions", "data/u0.wav", *model, "-o", str(out), "--skip-existing"]) == 1
    assert f"made from {same}" in capsys.readouterr().err
    # a JSON transcript keeps where its input was too (since session 23: before, "audio": "data/u0.wav" was all
    # it said, and B's recording was skipped for A's)
    assert main(["transcribe", "data/u0.wav", *model, *js, "--skip-existing"]) == 1
    assert f"made from {same}" in capsys.readouterr().err


def test_compare_counts_hotword_free_utterances_the_hotwords_changed():
    """The false-insertion rate counts whole hotwords only: a hotword's prefix ("CAFE" -> "KAF..." for KAFKA) or a
    hotword glued to a word changed a hotword-free utterance without counting. hotword_free_changed compares with the
    same decoder without hotwords."""
    from test_decoders import spell

    free = [Item("cafe", spell(["t", "h", "e", " ", {"c": 0.6, "k": 0.4}, "a", "f", "e"]), "THE CAFE")]
    decoders = {"beam": BeamSearchDecoder(beam_width=16), "greedy": GreedyDecoder(),
                "mild": BeamSearchDecoder(beam_width=16, hotwords=["kafka"], hotword_weight=5.0),
                "strong": BeamSearchDecoder(beam_width=16, hotwords=["kafka"], hotword_weight=20.0,
                                            hotword_prefix_share=1.0)}  # pyctcdecode's partial bonus
    result = compare(decoders, free, hotwords=["kafka"])
    hyp = {u.decoder: u.hypothesis for u in result.utterances}
    assert hyp["beam"] == hyp["mild"] == "the cafe" and hyp["strong"] == "the kafe"  # the prefix's partial bonus
    strong = result.decoders["strong"]
    assert strong.hotword_false_insertion_rate == 0.0 and strong.hotword_free_changed == 1.0
    assert result.decoders["mild"].hotword_free_changed == 0.0
    assert [result.decoders[n].hotword_free_changed for n in ("beam", "greedy")] == [None, None]
    assert "hw-free changed %" in result.table()


def test_compare_and_tune_in_worker_processes_give_the_serial_results(libri_emissions, pyctc_data):
    """num_workers / --jobs: the same transcripts, scores and choices as one process; a bad item stays that
    item's failure; the speed columns still add each item's decode time."""
    from ctcdecode_plus.emissions import Emissions
    from ctcdecode_plus.tune import tune_alpha_beta, tune_hotwords
    from test_decoders import ambiguous_bugs_bunny

    bad = Emissions.from_logits(np.log(np.full((5, 4), 0.25)), list(" ab") + [""])  # another alphabet
    items = [Item("libri", libri_emissions, LIBRI_TEXT.upper()), Item("bad", bad, "a b"),
             Item("short", ambiguous_bugs_bunny(), "bugs bunny"), Item("libri2", libri_emissions, "i have a good")]
    arpa = pyctc_data / "bugs_bunny_kenlm.arpa"
    decoders = {"greedy": GreedyDecoder(), "lm": BeamSearchDecoder(arpa, beam_width=16),
                "hot": BeamSearchDecoder(arpa, beam_width=16, hotwords=["doubt"], hotword_weight=8.0)}
    serial = compare(decoders, items, hotwords=["doubt"])
    seen = []
    parallel = compare(decoders, items, hotwords=["doubt"], num_workers=2, progress=seen.append)
    assert [(u.id, u.decoder, u.hypothesis, u.error) for u in parallel.utterances] == \
        [(u.id, u.decoder, u.hypothesis, u.error) for u in serial.utterances]
    assert len(seen) == len(items) * len(decoders)
    for name, s in serial.decoders.items():
        p = parallel.decoders[name]
        assert (p.wer, p.cer, p.failed, p.hotword_recall, p.hotword_free_changed) == \
            (s.wer, s.cer, s.failed, s.hotword_recall, s.hotword_free_changed)
        assert p.decode_seconds > 0
    assert parallel.decoders["hot"].failed == 1 and "does not match" in next(  # the LM cannot spell its labels
        u.error for u in parallel.utterances if u.decoder == "hot" and u.id == "bad")
    good = [it for it in items if it.id != "bad"]
    one, two = (tune_alpha_beta(decoders["lm"], good, [0.3, 1.0], [0.0, 2.0], num_workers=n) for n in (None, 2))
    assert (one.alpha, one.beta, one.wer) == (two.alpha, two.beta, two.wer)
    one, two = (tune_hotwords(decoders["lm"], good, ["doubt"], [0.0, 8.0], num_workers=n) for n in (None, 2))
    assert (one.weight, one.recall, one.false_insertion_rate) == (two.weight, two.recall, two.false_insertion_rate)


@pytest.mark.parametrize("value,ok", [("2", 2), ("0", None), ("-1", False), ("two", False), ("1.5", False)])
def test_jobs_option(value, ok, capsys):
    import os

    from ctcdecode_plus.cli import build_parser

    argv = ["compare", "--manifest", "m.tsv", "--jobs", value]
    if ok is False:
        with pytest.raises(SystemExit):
            build_parser().parse_args(argv)
        assert "argument --jobs" in capsys.readouterr().err
    else:
        assert build_parser().parse_args(argv).jobs == (ok or os.cpu_count())


def test_saved_emissions_are_made_again_for_another_model_chunking_or_changed_audio(tiny_model_dir, tmp_path,
                                                                                      capsys):
    """--emissions reused what another model (or older audio) had made: compare scored model A's emissions as model
    B's, with no word of it. Each file now records what made it; only a match is reused."""
    import os
    import shutil

    from ctcdecode_plus.emissions import Emissions

    d = tmp_path / "set"
    d.mkdir()
    for i, f in enumerate((300, 500)):
        write_tone_wav(d / f"u{i}.wav", 1.0, 16000, freq=f)
    (d / "m.tsv").write_text("audio\ttext\nu0.wav\tHELLO\nu1.wav\tWORLD\n")
    other_model = tmp_path / "other_model"
    shutil.copytree(tiny_model_dir, other_model)
    cache = tmp_path / "cache"

    def run(model, *extra) -> str:
        capsys.readouterr()
        assert main(["compare", "--manifest", str(d / "m.tsv"), "--model", str(model), "--emissions", str(cache),
                     *extra]) == 0
        return capsys.readouterr().err

    def stamps() -> list:
        return [(cache / f"u{i}.npz").stat().st_mtime_ns for i in range(2)]

    assert "computing saved emissions again" not in run(tiny_model_dir)
    first = stamps()
    assert "computing saved emissions again" not in run(tiny_model_dir) and stamps() == first  # reused
    assert "2 made by another model" in run(other_model) and stamps() != first
    assert "2 made with another --chunk-seconds" in run(other_model, "--chunk-seconds", "0")
    # the context is not compared where chunking is off
    assert "computing saved emissions again" not in run(other_model, "--chunk-seconds", "0", "--context-seconds", "1")
    assert "2 made with another --chunk-seconds" in run(other_model, "--chunk-seconds", "1")
    assert "2 made with another --context-seconds" in run(other_model, "--chunk-seconds", "1",
                                                            "--context-seconds", "0.1")
    assert "computing saved emissions again" not in run(other_model, "--chunk-seconds", "1",
                                                            "--context-seconds", "0.1")
    run(other_model, "--chunk-seconds", "0")
    second = stamps()
    write_tone_wav(d / "u1.wav", 1.2, 16000, freq=900)  # new audio, same name
    os.utime(d / "u1.wav", ns=(1, 1))  # and a time of its own whatever the clock's resolution
    err = run(other_model, "--chunk-seconds", "0")
    assert "1 made from audio that has changed since" in err and stamps()[0] == second[0] != stamps()[1]
    assert Emissions.load(cache / "u1.npz").audio_duration == pytest.approx(1.2)
    # emissions -o ... --skip-existing makes again what another model made, and skips what this one did
    out = tmp_path / "ems"
    assert main(["emissions", str(d / "u0.wav"), "-o", str(out), "--model", str(tiny_model_dir)]) == 0
    capsys.readouterr()
    assert main(["emissions", str(d / "u0.wav"), "-o", str(out), "--model", str(other_model), "--skip-existing"]) == 0
    err = capsys.readouterr().err
    assert "made again, not skipped: 1 made by another model" in err and "skipped" in err
    assert main(["emissions", str(d / "u0.wav"), "-o", str(out), "--model", str(other_model), "--skip-existing"]) == 0
    assert "1 of 1 input(s) skipped" in capsys.readouterr().err


def test_manifest_segments_and_rows_that_used_to_fail_late_or_silently(tmp_path, libri_emissions):
    """NeMo's offset/duration were ignored (each segment scored as the whole file); a tab in a TSV text cut the
    reference short; '~nosuchuser/', a 200 KB field and a lone surrogate ended in tracebacks."""
    from dataclasses import replace

    from ctcdecode_plus.errors import EmissionsError

    rows = [{"audio_filepath": "a.wav", "text": "ONE", "offset": 0.5, "duration": 1.0},
            {"audio_filepath": "a.wav", "text": "TWO", "offset": 1.5},
            {"audio_filepath": "b.wav", "text": "THREE", "duration": None}]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    one, two, three = read_manifest(tmp_path / "m.jsonl")
    assert (one.id, one.offset, one.duration, two.id, two.offset, two.duration, three.duration) == \
        ("a", 0.5, 1.0, "a#1", 1.5, None, None)
    spf, total = libri_emissions.seconds_per_frame, libri_emissions.audio_duration
    piece = one.cut(libri_emissions)
    assert piece.num_frames == round(1.0 / spf) and piece.audio_duration == pytest.approx(1.0)
    assert np.array_equal(piece.log_probs, libri_emissions.log_probs[round(0.5 / spf):round(1.5 / spf)])
    assert two.cut(libri_emissions).audio_duration == pytest.approx(total - 1.5)
    assert three.cut(libri_emissions) is libri_emissions
    whole = replace(three, duration=total - spf / 2)  # NeMo's duration of a whole file
    assert whole.cut(libri_emissions) is libri_emissions
    with pytest.raises(EmissionsError, match="past the end of its audio"):
        replace(one, offset=total + 1).cut(libri_emissions)
    assert replace(three, duration=total + 0.07).cut(libri_emissions) is libri_emissions  # rounded up: the file
    tail = replace(one, offset=total - 1.0, duration=5.0).cut(libri_emissions)  # to the end, as NeMo reads it
    assert tail.audio_duration == pytest.approx(1.0) and tail.num_frames == round(1.0 / spf)
    assert replace(one, offset=total - spf / 4, duration=None).cut(libri_emissions).num_frames >= 1
    (tmp_path / "t.tsv").write_text("audio\ttext\toffset\tduration\nx.wav\tHI\t2\t\n")
    assert (read_manifest(tmp_path / "t.tsv")[0].offset, read_manifest(tmp_path / "t.tsv")[0].duration) == (2.0, None)
    for content, match in [("audio\ttext\nx.wav\tHELLO\tWORLD\n", "the text \\(the last column\\) holds a tab"),
                           ("audio\ttext\n~nosuchuser_xyz/x.wav\tHI\n", "no such user"),
                           ('{"audio_filepath": "x.wav", "text": "\\udc80"}\n', "lone surrogate"),
                           ('{"audio_filepath": "x.wav", "text": "HI", "offset": -1}\n', "offset -1"),
                           ('{"audio_filepath": "x.wav", "text": "HI", "duration": "long"}\n', "duration 'long'"),
                           ('{"audio_filepath": "x.wav", "text": "HI", "duration": 0}\n', "duration 0")]:
        (tmp_path / "bad.txt").write_text(content)
        with pytest.raises(ManifestError, match=match):
            read_manifest(tmp_path / "bad.txt")
    for content in ("audio\ttext\nx.wav\tHI\t\n", "text\taudio\nHI\tx.wav\textra\n"):  # a trailing tab; a column
        assert read_manifest(write_text(tmp_path / "ok.tsv", content))[0].text == "HI"    # beyond the named ones
    (tmp_path / "big.tsv").write_text("audio\ttext\nx.wav\t" + "WORD " * 40000 + "\n")  # 200 KB: csv's limit is 128
    assert len(read_manifest(tmp_path / "big.tsv")[0].text) > 190000


def test_compare_scores_each_segment_of_a_recording(tiny_model_dir, tmp_path, capsys, monkeypatch):
    """Two rows that are segments of one file: the model runs once on the file, each row scores its stretch."""
    from ctcdecode_plus.acoustic import AcousticModel

    write_tone_wav(tmp_path / "long.wav", 3.0, 16000, freq=400)
    rows = [{"audio_filepath": "long.wav", "text": "A", "offset": 0.0, "duration": 1.0},
            {"audio_filepath": "long.wav", "text": "B", "offset": 1.0, "duration": 1.5},
            {"audio_filepath": "long.wav", "text": "C", "offset": 3.5, "duration": 2.0}]  # past the end
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    calls = []
    original = AcousticModel.emissions_batch

    def counted(self, sources, **kw):
        calls.extend(sources)
        return original(self, sources, **kw)

    monkeypatch.setattr(AcousticModel, "emissions_batch", counted)
    assert main(["compare", "--manifest", str(tmp_path / "m.jsonl"), "--model", str(tiny_model_dir),
                 "--json", str(tmp_path / "c.json")]) == 1
    assert len(calls) == 1
    out = capsys.readouterr()
    assert "2 utterances, 2.5 s of audio" in out.out and "'long#2' starts at 3.5 s, past the end" in out.err


def write_text(path, content: str):
    path.write_text(content)
    return path


def test_skip_existing_remakes_a_stale_file_under_its_own_number(tiny_model_dir, corpus, tmp_path, capsys):
    """From a review: an input whose own file was u0#1 (stale: its audio changed since) was made again under this
    run's name, u0, which is the other input's file: the other input's emissions were overwritten."""
    import shutil

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    import os

    from ctcdecode_plus.emissions import Emissions

    a = str(shutil.copy(corpus / "u0.wav", tmp_path / "a"))
    b = str(shutil.copy(corpus / "u1.wav", tmp_path / "b" / "u0.wav"))
    out, model = tmp_path / "out", ["--model", str(tiny_model_dir)]
    assert main(["emissions", a, b, *model, "-o", str(out)]) == 0
    first = (out / "u0.npz").read_bytes()
    os.utime(b, ns=(os.stat(b).st_atime_ns, os.stat(b).st_mtime_ns + 10**9))  # b's audio "changed"
    capsys.readouterr()
    assert main(["emissions", b, *model, "-o", str(out), "--skip-existing"]) == 0
    err = capsys.readouterr().err
    assert "made again, not skipped: 1 made from audio that has changed since" in err
    assert (out / "u0.npz").read_bytes() == first  # a's, untouched
    assert Emissions.load(out / "u0#1.npz").source == b


def test_emissions_of_a_manifest_are_the_files_compare_reuses(tiny_model_dir, corpus, tmp_path, capsys):
    """From a workflow audit: `emissions` took no manifest (a .tsv given as audio got ffmpeg's advice), so a
    user cut the paths out by hand to fill compare's --emissions folder."""
    model, out = ["--model", str(tiny_model_dir)], tmp_path / "em"
    assert main(["emissions", str(corpus / "manifest.tsv"), *model, "-o", str(out)]) == 1
    assert "a .tsv file is not audio; a manifest goes with --manifest" in capsys.readouterr().err
    assert main(["emissions", "--manifest", str(corpus / "manifest.tsv"), *model, "-o", str(out)]) == 1  # broken.wav
    assert sorted(p.name for p in out.iterdir()) == ["u0.npz", "u1.npz", "u2.npz"]
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    capsys.readouterr()
    assert main(["compare", "--manifest", str(corpus / "manifest.tsv"), *model, "--emissions", str(out)]) == 1
    assert "computing saved emissions again" not in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps  # reused, not made again
    assert main(["emissions", *model, "-o", str(out)]) == 2 and "no audio given" in capsys.readouterr().err


def test_skip_existing_remakes_json_transcripts_made_with_other_settings(tiny_model_dir, corpus, tmp_path, capsys):
    """From a workflow audit: after a greedy run, `--skip-existing --lm ...` skipped every file, leaving greedy
    transcripts beside one beam+LM one without a word. JSON transcripts now record how they were made."""
    model, out = ["--model", str(tiny_model_dir)], tmp_path / "js"
    wavs = [str(corpus / "u0.wav"), str(corpus / "u2.wav")]
    assert main(["transcribe", *wavs, *model, "--format", "json", "-o", str(out)]) == 0
    made = json.loads((out / "u0.json").read_text())["made_with"]
    assert made["decoder"]["type"] == "GreedyDecoder" and made["audio"] and made["model"]
    capsys.readouterr()
    assert main(["transcribe", *wavs, *model, "--format", "json", "-o", str(out), "--skip-existing"]) == 0
    assert "2 of 2 input(s) skipped" in capsys.readouterr().err
    assert main(["transcribe", *wavs, *model, "--format", "json", "-o", str(out), "--skip-existing",
                 "--decoder", "beam"]) == 0
    assert "made again, not skipped: 2 made with other decoding settings" in capsys.readouterr().err
    assert json.loads((out / "u0.json").read_text())["made_with"]["decoder"]["type"] == "BeamSearchDecoder"


def _skipped_then_made_again(command: list, capsys) -> None:
    """``command`` (a run into -o DIR that has just written two inputs' files, with the greedy decoder) again with
    --skip-existing: both skipped; with --decoder beam: both made again."""
    capsys.readouterr()
    assert main([*command, "--skip-existing"]) == 0
    assert "2 of 2 input(s) skipped" in capsys.readouterr().err
    assert main([*command, "--skip-existing", "--decoder", "beam"]) == 0
    assert "made again, not skipped: 2 made with other decoding settings" in capsys.readouterr().err


def test_vtt_and_ctm_transcripts_record_how_they_were_made(tiny_model_dir, corpus, tmp_path, capsys):
    """VTT (a NOTE block, which players skip) and CTM (a ``;;`` comment, which sclite skips) transcripts in -o DIR
    record what a JSON one does, so --skip-existing remakes those made otherwise; text and SRT have no comment."""
    model, out = ["--model", str(tiny_model_dir)], tmp_path / "subs"
    wavs = [str(corpus / "u0.wav"), str(corpus / "u2.wav")]
    for fmt in ("vtt", "ctm"):
        assert main(["transcribe", *wavs, *model, "--format", fmt, "-o", str(out)]) == 0
        lines = (out / f"u0.{fmt}").read_text().splitlines()
        note = lines[2] if fmt == "vtt" else lines[0]
        assert (lines[:2] == ["WEBVTT", ""]) if fmt == "vtt" else True
        prefix = "NOTE ctcdecode-plus made_with " if fmt == "vtt" else ";; ctcdecode-plus made_with "
        made = json.loads(note[len(prefix):])
        assert note.startswith(prefix) and made["decoder"]["type"] == "GreedyDecoder" and "-->" not in note
        assert made["source_abspath"] == str((corpus / "u0.wav").resolve())
        if fmt == "ctm":  # every other line is a word: "<recording> <channel> <start> <duration> <word> [<conf>]"
            assert lines[1:] and all(len(ln.split()) in (5, 6) and ln.startswith("u0 1 ") for ln in lines[1:])
        _skipped_then_made_again(["transcribe", *wavs, *model, "--format", fmt, "-o", str(out)], capsys)
        assert "BeamSearchDecoder" in (out / f"u0.{fmt}").read_text()
    # with text beside it, the VTT is written last and decides
    assert main(["transcribe", *wavs, *model, "--format", "text,vtt", "-o", str(tmp_path / "both")]) == 0
    capsys.readouterr()
    assert main(["transcribe", *wavs, *model, "--format", "text,vtt", "-o", str(tmp_path / "both"),
                 "--skip-existing", "--decoder", "beam"]) == 0
    assert "made again, not skipped: 2 made with other decoding settings" in capsys.readouterr().err


def test_text_and_srt_transcripts_record_how_they_were_made_beside_them(tiny_model_dir, corpus, tmp_path, capsys):
    """Text and SRT have no comment every reader skips, so -o DIR keeps a hidden ``.NAME.<ext>.made_with`` beside
    each, and --skip-existing remakes those made otherwise, as for JSON; one made before this was recorded (no such
    file) is kept as it is; one made from another file of the same name is a listed failure."""
    model, out = ["--model", str(tiny_model_dir)], tmp_path / "out"
    wavs = [str(corpus / "u0.wav"), str(corpus / "u2.wav")]
    for fmt, ext in (("text", "txt"), ("srt", "srt")):
        assert main(["transcribe", *wavs, *model, "--format", fmt, "-o", str(out)]) == 0
        made = json.loads((out / f".u0.{ext}.made_with").read_text())
        assert made["decoder"]["type"] == "GreedyDecoder"
        assert made["source_abspath"] == str((corpus / "u0.wav").resolve())
        assert "made_with" not in (out / f"u0.{ext}").read_text()  # the transcript itself is as it was
        _skipped_then_made_again(["transcribe", *wavs, *model, "--format", fmt, "-o", str(out)], capsys)
        assert json.loads((out / f".u0.{ext}.made_with").read_text())["decoder"]["type"] == "BeamSearchDecoder"
    (out / ".u2.txt.made_with").unlink()  # u2.txt as a file of before: taken as it is, though made by beam search
    capsys.readouterr()
    assert main(["transcribe", *wavs, *model, "--format", "text", "-o", str(out), "--skip-existing"]) == 0
    err = capsys.readouterr().err  # greedy now: u0.txt (beam search, recorded) is made again
    assert "made again, not skipped: 1 made with other decoding settings" in err and "1 of 2 input(s) skipped" in err
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "u0.wav").write_bytes((corpus / "u2.wav").read_bytes())
    assert main(["transcribe", str(other / "u0.wav"), *model, "--format", "text", "-o", str(out),
                 "--skip-existing"]) == 1
    assert f"made from {(corpus / 'u0.wav').resolve()}" in capsys.readouterr().err


def test_files_saved_before_the_context_was_recorded_count_as_made_with_2_s(tiny_model_dir, tmp_path, capsys):
    """From a review: emissions saved before session 23 record no context; they were all made with the 2 s of
    then, and were reused whatever --context-seconds asked for."""
    from ctcdecode_plus.emissions import Emissions

    write_tone_wav(tmp_path / "long.wav", 6.0, 16000, freq=300)
    out, model = tmp_path / "em", ["--model", str(tiny_model_dir)]
    assert main(["emissions", str(tmp_path / "long.wav"), "-o", str(out), *model, "--chunk-seconds", "1"]) == 0
    em = Emissions.load(out / "long.npz")
    with np.load(out / "long.npz", allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
    assert meta["made_with"]["context_seconds"] == 2.0  # the model's own, recorded as the number it is
    del meta["made_with"]["context_seconds"]
    em.save(out / "long.npz", made_with=meta["made_with"])  # as the files of before
    capsys.readouterr()
    args = ["emissions", str(tmp_path / "long.wav"), "-o", str(out), *model, "--chunk-seconds", "1", "--skip-existing"]
    assert main(args) == 0 and "1 of 1 input(s) skipped" in capsys.readouterr().err  # 2 s then, 2 s now
    assert main([*args, "--context-seconds", "0.1"]) == 0
    assert "1 made with another --context-seconds" in capsys.readouterr().err


def test_several_formats_in_one_run(tiny_model_dir, corpus, tmp_path, capsys, monkeypatch):
    """Subtitles and JSON of the same run needed the model run once per format (or emissions saved first)."""
    from ctcdecode_plus.pipeline import transcribe

    model, out = ["--model", str(tiny_model_dir)], tmp_path / "out"
    wavs = [str(corpus / "u0.wav"), str(corpus / "u2.wav")]
    assert main(["transcribe", *wavs, *model, "--format", "json,srt,text", "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "u0.json", "u0.srt", "u0.txt", "u2.json", "u2.srt", "u2.txt"]
    assert sorted(p.name for p in out.glob(".*")) == [".u0.srt.made_with", ".u0.txt.made_with", ".u2.srt.made_with",
                                                      ".u2.txt.made_with"]  # text and SRT record beside them
    assert [ln.rsplit(".", 1)[1] for ln in lines] == ["srt", "txt", "json"] * 2  # the JSON last for each input
    expected = transcribe(wavs[0], model=str(tiny_model_dir))
    assert (out / "u0.txt").read_text() == expected.text + "\n"
    assert (out / "u0.srt").read_text() == expected.to_srt() + "\n"
    assert json.loads((out / "u0.json").read_text())["text"] == expected.text
    # --skip-existing: an input is done when every format's file is there
    (out / "u2.srt").unlink()
    capsys.readouterr()
    assert main(["transcribe", *wavs, *model, "--format", "json,srt,text", "-o", str(out), "--skip-existing"]) == 0
    captured = capsys.readouterr()
    assert "1 of 2 input(s) skipped" in captured.err and "1 made without every --format" in captured.err
    assert (out / "u2.srt").is_file() and all("u2" in ln for ln in captured.out.splitlines())
    assert main(["transcribe", *wavs, *model, "--format", "json,vtt", "-o", str(out), "--skip-existing"]) == 0
    assert (out / "u0.vtt").is_file() and "2 made without every --format" in capsys.readouterr().err
    # several formats need -o; a format that is not one is named with the choices
    assert main(["transcribe", *wavs, *model, "--format", "json,srt"]) == 2
    assert "give -o DIR" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["transcribe", *wavs, *model, "--format", "json,docx", "-o", str(out)])
    assert "give one of text, json, srt, vtt, ctm" in capsys.readouterr().err
    # inputs named by relative paths: another input's files of the same name are neither skipped nor overwritten
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        write_tone_wav(tmp_path / sub / "talk.wav", 1.0, 16000, freq=300 if sub == "a" else 700)
    monkeypatch.chdir(tmp_path)
    assert main(["transcribe", "a/talk.wav", *model, "--format", "json,srt", "-o", str(tmp_path / "rel")]) == 0
    kept = (tmp_path / "rel" / "talk.json").read_text()
    capsys.readouterr()
    assert main(["transcribe", "b/talk.wav", *model, "--format", "json,srt", "-o", str(tmp_path / "rel"),
                 "--skip-existing"]) == 1
    assert "made from" in capsys.readouterr().err and (tmp_path / "rel" / "talk.json").read_text() == kept
    # Ctrl-C between two formats of an input: the file written is listed, and a rerun makes the input again
    import ctcdecode_plus.cli as cli

    real, calls = cli._atomic_write, []

    def interrupted(path, text):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(path, text)

    monkeypatch.setattr(cli, "_atomic_write", interrupted)
    capsys.readouterr()
    assert main(["transcribe", wavs[0], *model, "--format", "srt,json", "-o", str(tmp_path / "cut")]) == 130
    assert capsys.readouterr().out.strip().endswith("u0.srt") and not (tmp_path / "cut" / "u0.json").exists()
    monkeypatch.setattr(cli, "_atomic_write", real)
    assert main(["transcribe", wavs[0], *model, "--format", "srt,json", "-o", str(tmp_path / "cut"),
                 "--skip-existing"]) == 0
    assert (tmp_path / "cut" / "u0.json").is_file()
    capsys.readouterr()
    assert main(["transcribe", "--format", "json", wavs[0], *model]) == 0  # a format before the audio, as before
    assert json.loads(capsys.readouterr().out)["text"] == expected.text


def test_review_of_the_recorded_settings_and_manifest_emissions(tiny_model_dir, corpus, tmp_path, pyctc_data, capsys):
    """From a review: an infinite calibrated threshold made --json reports invalid JSON; the LM was recorded by the
    path as typed (a link to it remade everything, a rebuild at the same path went unnoticed); a saved .npz row
    shifted compare's numbering away from emissions --manifest's; --save-decoder failed after the whole sweep."""
    import shutil

    from ctcdecode_plus.compare import compare
    from ctcdecode_plus.decoders import BeamSearchDecoder
    from ctcdecode_plus.emissions import Emissions

    model = ["--model", str(tiny_model_dir)]
    em = tmp_path / "em"
    assert main(["emissions", str(corpus / "u0.wav"), str(corpus / "u2.wav"), *model, "-o", str(em)]) == 0
    items = [Item("a", Emissions.load(em / "u0.npz"), "hello")]
    dec = BeamSearchDecoder(hotwords=["hello"], beam_width=4).replace(hotword_spotting={"HELLO": float("inf")})
    text = compare({"d": dec}, items).to_json()

    def refuse(constant):
        raise ValueError(constant)

    assert json.loads(text, parse_constant=refuse)["decoders"]["d"]["settings"]["hotword_spotting"] == {"HELLO": "inf"}
    # the LM: one file however it is named; rebuilt, another
    lm = shutil.copy(pyctc_data / "bugs_bunny_kenlm.arpa", tmp_path / "lm.arpa")
    (tmp_path / "link").mkdir()
    os.symlink(lm, tmp_path / "link" / "lm.arpa")
    run = ["transcribe", str(em), "--format", "json", "-o", str(tmp_path / "js"), "--beam-width", "4"]
    assert main([*run, "--lm", str(lm)]) == 0
    capsys.readouterr()
    assert main([*run, "--lm", str(tmp_path / "link" / "lm.arpa"), "--skip-existing"]) == 0
    assert "2 of 2 input(s) skipped" in capsys.readouterr().err
    os.utime(lm, ns=(os.stat(lm).st_atime_ns, os.stat(lm).st_mtime_ns + 10**9))
    assert main([*run, "--lm", str(lm), "--skip-existing"]) == 0
    assert "made with other decoding settings" in capsys.readouterr().err
    # emissions --manifest: numbered as compare numbers them, saved .npz rows included
    (tmp_path / "saved").mkdir()
    shutil.copy(em / "u0.npz", tmp_path / "saved" / "u0.npz")
    (tmp_path / "m.tsv").write_text(f"audio\ttext\nsaved/u0.npz\tHELLO\n{corpus / 'u0.wav'}\tHELLO\n")
    out = tmp_path / "em2"
    assert main(["emissions", "--manifest", str(tmp_path / "m.tsv"), *model, "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["u0#1.npz"]
    stamp = (out / "u0#1.npz").stat().st_mtime_ns
    assert main(["compare", "--manifest", str(tmp_path / "m.tsv"), *model, "--emissions", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["u0#1.npz"] and (out / "u0#1.npz").stat().st_mtime_ns == stamp
    assert main(["emissions", str(corpus / "u2.wav"), "--manifest", str(tmp_path / "m.tsv"), "-o", str(out)]) == 2
    assert "not both" in capsys.readouterr().err
    # --save-decoder: a processor that cannot be found stops the run before the sweep
    (tmp_path / "saved.tsv").write_text("audio\ttext\nsaved/u0.npz\tHELLO\n")
    capsys.readouterr()
    assert main(["tune", "--manifest", str(tmp_path / "saved.tsv"), "--model", "no-such-org/no-such-model",
                 "--lm", str(lm), "--save-decoder", str(tmp_path / "dec")]) == 2
    captured = capsys.readouterr()
    assert "best:" not in captured.out and "no-such-org/no-such-model" in captured.err


def test_transcribe_resumes_a_long_file_after_ctrl_c(tmp_path, monkeypatch, capsys):
    """From the known list: Ctrl-C on a long file lost its whole model run. With -o the run is kept beside the
    outputs as it goes (.NAME.partial-emissions), and the same command goes on from there."""
    import soundfile as sf

    from conftest import make_tiny_model
    from ctcdecode_plus.acoustic import AcousticModel

    model = ["--model", str(make_tiny_model(tmp_path / "m", layers=0, normalize=False)),
             "--chunk-seconds", "1", "--context-seconds", "0.5"]
    sig = (np.random.default_rng(4).standard_normal(16000 * 10) * 0.1).astype(np.float32)
    sf.write(tmp_path / "long.wav", sig, 16000)
    out = tmp_path / "out"
    calls, real = [], AcousticModel._forward

    def counted(self, signals):
        calls.append(len(signals))
        if stop and len(calls) > 1:
            raise KeyboardInterrupt
        return real(self, signals)

    monkeypatch.setattr(AcousticModel, "_forward", counted)
    stop = False
    assert main(["transcribe", str(tmp_path / "long.wav"), *model, "--format", "json", "-o", str(tmp_path / "ref")]) == 0
    full, calls[:] = sum(calls), []
    stop = True
    assert main(["transcribe", str(tmp_path / "long.wav"), *model, "--format", "json", "-o", str(out)]) == 130
    err = capsys.readouterr().err
    kept = out / ".long.partial-emissions"
    assert kept.exists() and f"so far is kept in {kept}" in err and not (out / "long.json").exists()
    stop, calls[:] = False, []
    assert main(["transcribe", str(tmp_path / "long.wav"), *model, "--format", "json", "-o", str(out),
                 "--skip-existing"]) == 0
    assert 0 < sum(calls) < full and not kept.exists()
    ref = json.loads((tmp_path / "ref" / "long.json").read_text())
    assert json.loads((out / "long.json").read_text())["text"] == ref["text"]
    # `emissions -o` keeps and resumes the same way
    stop, calls[:] = True, []
    assert main(["emissions", str(tmp_path / "long.wav"), *model, "-o", str(tmp_path / "em")]) == 130
    kept = tmp_path / "em" / ".long.partial-emissions"
    assert kept.exists() and "so far is kept in" in capsys.readouterr().err
    stop, calls[:] = False, []
    assert main(["emissions", str(tmp_path / "long.wav"), *model, "-o", str(tmp_path / "em")]) == 0
    assert 0 < sum(calls) < full and not kept.exists() and (tmp_path / "em" / "long.npz").exists()


def test_spoken_forms_names_the_words_one_letter_from_a_hotword(tmp_path, capsys):
    """The demo's false insertion was TRACING written for a spoken TRACKING, a word the LM knows one letter away;
    spoken-forms names such neighbours as comment lines, so its output is still a hotwords file."""
    from ctcdecode_plus.decoders.hotwords import hotword_lines, near_words
    from ctcdecode_plus.lm.build import build_lm

    lm = tmp_path / "lm.arpa"
    with warnings.catch_warnings():  # a toy corpus: Kneser-Ney's discounts fall back
        warnings.simplefilter("ignore")
        build_lm(None, lm, 2, lines=["the server is tracking the tracing calls", "under the mock", "a tracer"] * 3,
                 discount_fallback=True, binary=False)
    assert near_words("TRACING", ["tracking", "tracer", "racing", "tracing", "trace"]) == ["tracking", "racing"]
    assert near_words("TRACING", ["tracking"], exclude=["Tracking"]) == []
    assert near_words("HEAP PUSH", ["heap pus"]) == [] and near_words("MOC", ["mock"]) == []
    assert main(["spoken-forms", "--lm", str(lm), "--hotwords", "TRACING", "MOCKS", "COROUTINE"]) == 0
    out = capsys.readouterr().out
    assert ("# TRACING is one letter from TRACKING, known to the LM: the hotword bonus may write TRACING where "
            "TRACKING is said") in out
    assert "# MOCKS is one letter from MOCK," in out and "COROUTINE is one letter" not in out
    assert hotword_lines(out) == ["TRACING", "MOCKS", "COROUTINE"]
    assert main(["spoken-forms", "--lm", str(lm), "--hotwords", "TRACING", "TRACKING"]) == 0
    assert "#" not in capsys.readouterr().out  # both boosted alike: the bonus does not choose between them
    assert main(["spoken-forms", "--hotwords", "AI", "C: SEE", "KAFKA", "STDLIB: ES TEE DEE LIB"]) == 0
    out = capsys.readouterr().out  # short ones earn a share of the bonus (hotword_full_letters): said, as comments
    assert "# AI is searched as 2 letters: it earns 2/4 of the hotword bonus" in out
    assert "# C is searched as 1 letter: it earns 1/4" in out and "KAFKA is searched" not in out
    assert "STDLIB is searched" not in out and hotword_lines(out) == ["AI", "C: SEE", "KAFKA", "STDLIB: ES TEE DEE LIB"]
