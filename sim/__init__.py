"""Numpy ground truth for the teacher-student experiment of the paper (Appendix A).

So far: the training Gram matrix and its spectrum (used by the audit of Eq. 8).  The gradient-descent simulator
itself is the subject of a later issue.
"""

from .data import gram_spectrum, train_gram

__all__ = ["gram_spectrum", "train_gram"]
