"""The MP-limit prediction put beside the measured times by :func:`sim.sweep` (``theory=``, described in the
:mod:`sim.sweep` module docstring).

* :data:`THEORIES` -- the accepted ``theory`` values.
* ``_predict_flow`` -- the gradient-flow theory for many points, in the calling process.
* ``_predict_gd`` -- worker task: the exact discrete-time GD (or heavy-ball/Nesterov momentum) theory for one point.
* ``_skip_note`` -- why a run gets no prediction (``None`` if it gets one); ``_pred_failed`` -- the prediction
  fields of a failed evaluation.
"""

from __future__ import annotations

import math

import numpy as np

THEORIES = ("flow", "gd", None)


def _fin(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _predict_gd(inputs: dict, token: str) -> dict:
    """Worker task: ``numerics.grokking_time(..., dynamics="gd")`` at 15 digits (``dynamics="momentum"`` when
    ``inputs`` has ``momentum`` and ``nesterov``).  Never raises."""
    del token
    import mpmath

    import numerics

    try:
        kw = {"dynamics": "gd"}
        if "momentum" in inputs:  # heavy ball / Nesterov in torch.optim.SGD's convention
            kw = {"dynamics": "momentum", "momentum": inputs["momentum"], "nesterov": inputs["nesterov"]}
        with mpmath.mp.workdps(15):
            g = numerics.grokking_time(
                inputs["lam"],
                eta=inputs["eta"],
                eps=inputs["eps"],
                level=inputs["level"],
                d_out=inputs["d_out"],
                gamma=inputs["gamma"],
                **kw,
            )
        vals = [None if x is None else float(x) for x in (g.t_train, g.t_gen, g.delta)]
        return {"pred_t_train": vals[0], "pred_t_gen": vals[1], "pred_delta": vals[2], "pred_note": None}
    except Exception as exc:
        return _pred_failed(exc)


def _pred_failed(exc) -> dict:
    return {"pred_t_train": None, "pred_t_gen": None, "pred_delta": None, "pred_note": f"prediction failed: {exc}"}


def _predict_flow(items: list[tuple[str, dict]]) -> dict[str, dict]:
    """``numerics.fast.grokking_time_grid`` for many points: one vectorised call per ``(eta, level)``."""
    from numerics.fast import grokking_time_grid

    out = {}
    groups: dict[tuple, list] = {}
    for pkey, inp in items:
        groups.setdefault((inp["eta"], inp["level"]), []).append((pkey, inp))
    for (eta, level), members in groups.items():

        def call(ms, eta=eta, level=level):
            arr = {k: np.array([m[1][k] for m in ms], dtype=float) for k in ("lam", "eps", "d_out", "gamma")}
            return grokking_time_grid(arr["lam"], eta=eta, level=level, **{k: arr[k] for k in arr if k != "lam"})

        try:
            res = [call(members)]
            chunks = [members]
        except ValueError:  # isolate the offending points
            res, chunks = [], []
            for m in members:
                try:
                    res.append(call([m]))
                    chunks.append([m])
                except ValueError as exc:
                    out[m[0]] = _pred_failed(exc)
        for (t_tr, t_gen, delta), ms in zip(res, chunks, strict=True):
            for i, (pkey, _) in enumerate(ms):
                out[pkey] = {
                    "pred_t_train": _fin(t_tr[i]),
                    "pred_t_gen": _fin(t_gen[i]),
                    "pred_delta": _fin(delta[i]),
                    "pred_note": None,
                }
    return out


def _skip_note(params: dict, theory) -> str | None:
    if theory is None:
        return "theory=None"
    if params["hidden"] is not None:
        return "no MP-limit prediction for two layers"
    if params["label_noise"] != 0:
        return "no MP-limit prediction with label noise"
    if params["student_scale"] != 1:
        return "no MP-limit prediction for student_scale != 1"
    opt = params.get("optimizer", "gd")
    if opt in ("momentum", "nesterov"):
        return None if theory == "gd" else f"optimizer={opt!r}: the momentum theory needs theory='gd'"
    if opt != "gd":
        return f"no MP-limit prediction for optimizer={opt!r} (the theory is full-batch)"
    return None
