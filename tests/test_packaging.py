"""The distribution's metadata: the license that pyproject.toml declares is the one the
repository ships."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# the BSD-3-Clause text as SPDX publishes it, the copyright line filled in
BSD_3_CLAUSE = """
Copyright (c) 2026, the sklearn_rnn developers

Redistribution and use in source and binary forms, with or without modification, are
permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of
conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice, this list
of conditions and the following disclaimer in the documentation and/or other materials
provided with the distribution.

3. Neither the name of the copyright holder nor the names of its contributors may be
used to endorse or promote products derived from this software without specific prior
written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY
EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL
THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT
OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT
LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""


def _words(text):
    return re.sub(r"\s+", " ", text).strip()


def test_the_license_file_is_the_bsd_3_clause_text():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    title, body = text.split("\n", 1)
    assert title == "BSD 3-Clause License"
    assert _words(body) == _words(BSD_3_CLAUSE)


def test_pyproject_declares_that_license_and_ships_the_file():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    assert project["license"] == "BSD-3-Clause"
    assert [p for f in project["license-files"] for p in ROOT.glob(f)] == [ROOT / "LICENSE"]
    # license expressions and license-files (PEP 639) need setuptools 77
    (setuptools,) = [r for r in pyproject["build-system"]["requires"]
                     if r.startswith("setuptools")]
    assert setuptools == "setuptools>=77"
