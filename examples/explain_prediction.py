"""Which words pushed a prediction: integrated gradients and occlusion, side by side.

Trains ``RNNSentimentClassifier`` on the tutorial's sentences, explains its predictions
of a few new ones with :func:`sklearn_rnn.explain_prediction`, prints every token's
score by both methods, and draws one sentence's explanations as bar charts (a PNG, when
matplotlib is installed: ``pip install "sklearn-rnn[examples]"``). ``--html`` also
writes them as an HTML page, each token shaded by its score.

    python examples/explain_prediction.py [--png explain_prediction.png] [--html why.html]

A score is in units of the log-probability of the explained class (here each
sentence's predicted class): positive, the token raised it. Integrated gradients'
scores add up to the log-probability less that of the baseline, the same sentence
with every input vector zero; occlusion scores a token by the log-probability lost
when it is left out.
"""

import argparse

import numpy as np

from sklearn_rnn import RNNSentimentClassifier, explain_prediction
from sklearn_rnn.datasets import load_seed_sentiment

SENTENCES = ["i was not happy earlier", "this is not bad", "i am not happy at all"]
METHODS = ("integrated_gradients", "occlusion")


def report(explanations, method):
    print(f"\n{method.replace('_', ' ')}:")
    for explanation in explanations:
        label = "positive" if explanation.target else "negative"
        scores = "  ".join(f"{tok} {s:+.2f}" for tok, s in zip(explanation.tokens,
                                                                 explanation.scores))
        print(f"  {label:<8} {scores}   (log P {explanation.log_proba:+.3f}, baseline "
              f"{explanation.baseline_log_proba:+.3f}, sum {explanation.scores.sum():+.3f})")


def save_figure(explanations, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure (pip install matplotlib)")
        return None
    fig, axes = plt.subplots(1, len(explanations), figsize=(7.5, 2.4))
    for ax, explanation in zip(axes, explanations):
        explanation.plot(ax=ax)
        label = "positive" if explanation.target else "negative"
        ax.set_title(f"{explanation.method.replace('_', ' ')}", fontsize=10)
        ax.set_xlabel(f"score (log P({label}))")
    p = float(np.exp(explanations[0].log_proba))
    fig.suptitle(f"Why {SENTENCES[0]!r} is negative (P = {p:.3f})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--png", default="explain_prediction.png",
                        help="where to save the figure (default: %(default)s)")
    parser.add_argument("--html", help="also write the explanations as an HTML page")
    args = parser.parse_args(argv)

    X_train, _, y_train, _ = load_seed_sentiment()
    clf = RNNSentimentClassifier(random_state=1).fit(X_train, y_train)
    explained = {method: explain_prediction(clf, SENTENCES, method=method)
                 for method in METHODS}
    for method, explanations in explained.items():
        report(explanations, method)
    if save_figure([explained[method][0] for method in METHODS], args.png):
        print(f"\nfigure saved to {args.png}")
    if args.html:
        with open(args.html, "w", encoding="utf-8") as f:
            f.write('<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n')
            for explanations in explained.values():
                f.writelines(explanation.to_html() + "\n" for explanation in explanations)
            f.write("</body></html>\n")
        print(f"HTML saved to {args.html}")
    return explained


if __name__ == "__main__":
    main()
