"""The README's Python snippets run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_snippets():
    assert len(BLOCKS) >= 3


def test_readme_snippets_run():
    namespace = {}
    for block in BLOCKS:
        exec(compile(block, str(README), "exec"), namespace)
    clf, grid = namespace["clf"], namespace["grid"]
    assert list(clf.predict(["i am very happy", "this is not good"])) == [True, False]
    assert clf.score(namespace["X_test"], namespace["y_test"]) == pytest.approx(1.0)
    assert set(grid.best_params_) == {"rnnsentimentclassifier__hidden_size",
                                      "rnnsentimentclassifier__min_df"}
    tutorial = namespace["tutorial"]
    assert tutorial.score(namespace["X_train"], namespace["y_train"]) == 1.0
    assert tutorial.score(namespace["X_test"], namespace["y_test"]) == 1.0
    stream = namespace["stream"]
    assert stream.n_iter_ == 300
    assert stream.score(namespace["X_test"], namespace["y_test"]) >= 0.9
