"""The main job and the tutorial example run and report."""

import re
import runpy
import subprocess
import sys
from pathlib import Path

from sklearn_rnn.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def test_main_job_reports(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert re.search(r"trained on 58 sentences in \d+\.\d+ s", out)
    assert re.search(r"test accuracy  1\.000", out)
    assert "unseen: terrible" in out


def test_python_dash_m_runs():
    result = subprocess.run([sys.executable, "-m", "sklearn_rnn", "--random-state", "2"],
                            capture_output=True, text=True, check=True)
    assert "test accuracy" in result.stdout


def test_seed_tutorial_example_prints_the_table(capsys):
    example = runpy.run_path(str(ROOT / "examples" / "seed_tutorial.py"))
    example["main"](epochs=40, every=20)
    out = capsys.readouterr().out
    assert out.count("--- Epoch") == 2
    rows = re.findall(r"(Train|Test):\tLoss (\d+\.\d+) \| Accuracy: (\d\.\d+)", out)
    assert len(rows) == 4
    assert float(rows[2][1]) < 0.6  # training loss at epoch 40 is below ln 2: it learns


def test_help_names_the_demo_and_the_commands():
    result = subprocess.run([sys.executable, "-m", "sklearn_rnn", "--help"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith("usage: python -m sklearn_rnn")
    assert "--random-state N  seed of the tutorial demo" in result.stdout
    assert re.search(r"^\s+fit\s+train on a CSV file", result.stdout, re.M)
    assert re.search(r"^\s+predict\s+write a CSV file's rows", result.stdout, re.M)
