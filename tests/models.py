"""Estimator settings the tests share."""

# the tutorial's model: a tanh cell read forwards, its last state classified, a Wxh
# column looked up per token, no subwords, plain cross-entropy, the weights as trained;
# every word of the training documents in the vocabulary
TUTORIAL_MODEL = dict(cell="tanh", bidirectional=False, pooling="last", embedding_size=None,
                      subword_ngrams=None, label_smoothing=0.0, ema_decay=None, min_df=1)
