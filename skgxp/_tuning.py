"""An Optuna search over skgxp parameters, persistent and resumable (``skgxp.tuning``).

The study lives in a storage (an SQLite file by default) under a name: the
same call continues it after a crash, a kill or on another machine, until it
holds ``n_trials`` finished (complete or pruned) trials. optuna is imported
inside the functions: it is an extra (``pip install 'skgxp[optuna]'``).
"""

import numbers
import warnings

import numpy as np

from ._space import check_space, suggest
from ._study import finished_trials, open_study, optuna_module, pruner_of
from .protocol import BHI_CV_SEED

DEFAULT_STORAGE = "sqlite:///skgxp-study.db"
#: Names of the per-epoch score and the pruning callback added to the net (cv=None).
VALID_SCORE = "valid_score"
_PRUNING = "tune_pruning"


def _nets(estimator):
    """The skorch nets of a fitted estimator: itself, pipeline steps, fitted wrappees."""
    from skorch import NeuralNet

    if isinstance(estimator, NeuralNet):
        return [estimator]
    inner = [step for _, step in getattr(estimator, "steps", [])]
    inner += [v for k, v in vars(estimator).items() if k.endswith("_") and hasattr(v, "fit")]
    return [net for part in inner for net in _nets(part)]


def _raise_if_interrupted(estimator):
    """skorch ends ``fit`` quietly on Ctrl-C: that trial must not count as complete."""
    for net in _nets(estimator):
        if len(net.history) < net.max_epochs or "dur" not in net.history[-1]:
            raise KeyboardInterrupt


def _validation_net(estimator):
    from skorch import NeuralNet

    if isinstance(estimator, NeuralNet):
        return estimator
    steps = getattr(estimator, "steps", None)
    if steps and isinstance(steps[-1][1], NeuralNet):
        return steps[-1][1]
    raise ValueError(
        f"cv=None trains once with a validation split inside the skorch net, but "
        f"{type(estimator).__name__} is neither a skorch net nor a Pipeline ending in "
        "one; pass cv=K to score K folds instead.")


class _Objective:
    """One trial: sample the space, fit (one split or K folds), report, score."""

    def __init__(self, estimator, X, y, space, splits, valid_fraction, scoring, pruning):
        self.estimator, self.X, self.y, self.space = estimator, X, y, space
        self.splits, self.valid_fraction = splits, valid_fraction
        self.scoring, self.pruning = scoring, pruning

    def __call__(self, trial):
        from sklearn.base import clone

        params = suggest(trial, self.space)
        trial.set_user_attr("params", params)
        estimator = clone(self.estimator).set_params(**params)
        if self.splits is None:
            return self._one_fit(trial, estimator)
        return self._folds(trial, estimator)

    def _one_fit(self, trial, estimator):
        from skorch.callbacks import EpochScoring
        from skorch.dataset import ValidSplit

        net = _validation_net(estimator)
        extra = [(VALID_SCORE, EpochScoring(self.scoring, lower_is_better=False,
                                            name=VALID_SCORE))]
        if self.pruning:
            from optuna_integration import SkorchPruningCallback

            extra.append((_PRUNING, SkorchPruningCallback(trial, VALID_SCORE)))
        split = net.train_split
        if split is None:
            split = ValidSplit(self.valid_fraction, random_state=BHI_CV_SEED)
        net.set_params(train_split=split, callbacks=list(net.callbacks or []) + extra)
        estimator.fit(self.X, self.y)
        _raise_if_interrupted(estimator)
        scores = [float(s) for s in net.history[:, VALID_SCORE]]
        trial.set_user_attr("epoch_scores", scores)
        trial.set_user_attr("score", scores[-1])
        return scores[-1]

    def _folds(self, trial, estimator):
        import optuna
        from sklearn.base import clone
        from sklearn.utils import _safe_indexing

        scores = []
        for fold, (train, test) in enumerate(self.splits):
            model = clone(estimator)
            model.fit(_safe_indexing(self.X, train), _safe_indexing(self.y, train))
            _raise_if_interrupted(model)
            scores.append(float(self.scoring(model, _safe_indexing(self.X, test),
                                             _safe_indexing(self.y, test))))
            trial.set_user_attr("fold_scores", scores)
            mean = float(np.mean(scores))
            trial.report(mean, fold)
            if self.pruning and trial.should_prune():
                raise optuna.TrialPruned(f"pruned after fold {fold + 1} of "
                                         f"{len(self.splits)}: mean score {mean:.4f}")
        trial.set_user_attr("score", mean)
        return mean


class _FailureLimit:
    """Stop a run after ``limit`` failed trials, not retry a search that keeps failing."""

    def __init__(self, limit):
        self.limit = limit
        self.failures = 0

    def __call__(self, study, trial):
        if trial.state.name == "FAIL":
            self.failures += 1
            if self.failures >= self.limit:
                warnings.warn(f"{self.failures} trials of study {study.study_name!r} failed "
                              "in this run; stopping it before the study has all its "
                              "trials.", UserWarning, stacklevel=2)
                study.stop()


def _check_int(name, value, low, optional=False):
    if optional and value is None:
        return
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}{' or None' * optional}; got "
                         f"{value!r}.")


def _splits(cv, X, y):
    """The folds every trial is scored on (None: one fit with a validation split)."""
    from sklearn.model_selection import KFold

    if cv is None:
        return None, "one fit, validation split"
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        _check_int("cv", cv, 2)
        splitter = KFold(int(cv), shuffle=True, random_state=BHI_CV_SEED)
    elif hasattr(cv, "split"):
        splitter = cv
    else:
        raise ValueError(f"cv must be None, an int >= 2 or a CV splitter; got {cv!r}.")
    return list(splitter.split(X, y)), repr(splitter)


def tune(estimator, X, y, space, *, study_name, n_trials=25, storage=DEFAULT_STORAGE,
         cv=5, valid_fraction=0.1, scoring=None, pruning=True, random_state=0,
         heartbeat_interval=60, catch=None, callbacks=None):
    """Search ``space`` with Optuna's TPE sampler in a persistent, resumable study.

    The study named ``study_name`` in ``storage`` is created, or loaded when
    it exists, and trials are run until it holds ``n_trials`` finished
    (complete or pruned) trials: run the same call again after a crash or a
    kill and it continues where it stopped, with the finished trials kept.
    Processes on several machines that share the storage and study name
    share the count (each stops once the study has ``n_trials``; trials
    running at that moment still finish). A trial whose process was killed
    is marked FAIL, with a warning, once its heartbeat is over twice
    ``heartbeat_interval`` old (database storages only; Optuna's journal
    file has no heartbeat), and does not count.

    Parameters
    ----------
    estimator : estimator
        A :class:`~skgxp.DeepGXPRegressor`, a pipeline ending in one, or
        (with ``cv`` folds) any regressor; cloned for every fit.
    X : array-like of shape (n_samples, ...)
        What ``estimator.fit`` takes (sequences for a pipeline with a
        :class:`~skgxp.PromoterEncoder`, codes for a bare regressor).
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Measured expression.
    space : dict
        Parameter names of ``estimator`` to a list of choices or a range
        ``{"low": ..., "high": ..., "log": bool}``, as :func:`check_space`
        reads them (JSON-serializable; :data:`BHI_SPACE` is BHI's).
    study_name : str
        The study in ``storage``: the same name continues it.
    n_trials : int, default=25
        Finished (complete or pruned) trials the study should hold in total,
        counting those of earlier runs; BHI ran 25. Failed trials (an error
        of ``catch``, a NaN score such as a constant predictor's Pearson r)
        do not count: others run in their place, until ``n_trials`` of them
        have failed in one call (a warning says so).
    storage : str or optuna storage, default="sqlite:///skgxp-study.db"
        An SQLAlchemy URL (``sqlite:///FILE``, ``postgresql://user:pw@host/db``,
        ``mysql+pymysql://user:pw@host/db``), ``"journal:PATH"`` for Optuna's
        journal file (no database; for a shared file system), or an optuna
        storage object, used as it is.
    cv : int, CV splitter or None, default=5
        Each trial's score is the mean over these folds of ``scoring`` on the
        held-out fold (an int K: ``KFold(K, shuffle=True,
        random_state=123456789)``, BHI's split); the mean so far is reported
        after each fold, and a pruned trial stops between folds. None: one
        fit per trial with a validation split inside the skorch net (its own
        ``train_split``, else ``ValidSplit(valid_fraction)``), scored every
        epoch (history key ``"valid_score"``) and pruned between epochs by
        optuna-integration's ``SkorchPruningCallback``; the trial's score is
        that of its last epoch.
    valid_fraction : float, default=0.1
        Rows held out for validation when ``cv=None`` and the net has no
        ``train_split`` of its own.
    scoring : callable, default=None
        A scorer ``(estimator, X, y) -> float``, greater is better; None:
        :data:`skgxp.metrics.pearson_scorer`. With ``cv=None`` it is called
        with the net and the validation dataset, as skorch's ``EpochScoring``.
    pruning : bool or optuna pruner, default=True
        True: Optuna's ``MedianPruner()`` (stop a trial whose score so far is
        below the median of earlier trials' at the same fold or epoch);
        False: no pruning; or a pruner.
    random_state : int or None, default=0
        Seed of the TPE sampler, combined with the number of trials the
        study already holds (so that a resumed run does not propose the
        first run's trials again). Give each machine of a shared study its
        own. Training seeds are the estimator's ``random_state``.
    heartbeat_interval : int or None, default=60
        Seconds between the heartbeats of a running trial (database
        storages given as a URL); None: no heartbeat, and a killed trial
        stays RUNNING.
    catch : tuple of exception types, default=None
        Errors of a trial that mark it FAIL and let the search go on; None:
        :class:`~skgxp.callbacks.ConvergenceError` and ``FloatingPointError``
        (training collapsed or diverged). Other errors stop the search.
    callbacks : list of callable, default=None
        Optuna callbacks ``(study, frozen_trial)``, called after each trial.

    Returns
    -------
    study : optuna.study.Study
        The study. Every trial's ``user_attrs`` hold ``"params"`` (the
        parameters set on the estimator) and ``"score"``, plus
        ``"fold_scores"`` (with ``cv``) or ``"epoch_scores"`` (``cv=None``).
        Refit the best with ``estimator.set_params(**study.best_params)``.

    Raises
    ------
    ValueError
        For a bad space (naming the key), bad arguments, or a study of that
        name that was started with another space or ``cv``.
    ImportError
        Without optuna and optuna-integration (``pip install 'skgxp[optuna]'``).

    See Also
    --------
    check_space : The space's format.

    Examples
    --------
    >>> import optuna
    >>> from skgxp import DeepGXPRegressor, PromoterEncoder
    >>> from skgxp.datasets import load_dream_demo
    >>> from skgxp.tuning import tune
    >>> X, y = load_dream_demo(return_X_y=True)
    >>> codes = PromoterEncoder().fit_transform(X[:200])
    >>> tiny = dict(module__conv1_channels=4, module__lstm_hidden_size=4,
    ...             module__conv2_channels=4, max_epochs=1, verbose=0)
    >>> study = tune(DeepGXPRegressor(**tiny), codes, y[:200],
    ...              {"module__fc_size": [4, 8]}, study_name="doc",
    ...              storage=optuna.storages.InMemoryStorage(),
    ...              n_trials=2, cv=2)
    >>> len(study.trials), sorted(study.best_trial.user_attrs)
    (2, ['fold_scores', 'params', 'score'])
    """
    optuna = optuna_module()
    from sklearn.utils import check_consistent_length

    from ._convergence import ConvergenceError
    from .metrics import pearson_scorer

    if not isinstance(study_name, str) or not study_name:
        raise ValueError(f"study_name must be a non-empty string; got {study_name!r}.")
    _check_int("n_trials", n_trials, 1)
    _check_int("random_state", random_state, 0, optional=True)
    _check_int("heartbeat_interval", heartbeat_interval, 1, optional=True)
    if cv is None and not (isinstance(valid_fraction, numbers.Real)
                           and 0 < valid_fraction < 1):
        raise ValueError(f"valid_fraction must be in (0, 1); got {valid_fraction!r}.")
    scoring = pearson_scorer if scoring is None else scoring
    if not callable(scoring):
        raise ValueError(f"scoring must be a scorer (estimator, X, y) -> float; got "
                         f"{scoring!r}.")
    check_consistent_length(X, y)
    space = check_space(space, estimator)
    if cv is None:
        _validation_net(estimator)
    pruner = pruner_of(pruning)
    splits, protocol = _splits(cv, X, y)
    search = {"space": space, "cv": protocol,
              "valid_fraction": float(valid_fraction) if cv is None else None}
    study = open_study(storage, study_name, search, random_state=random_state,
                       pruner=pruner, heartbeat_interval=heartbeat_interval)
    if finished_trials(study) < n_trials:
        states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        # Several processes share the count: each stops once the study has n_trials.
        stop = optuna.study.MaxTrialsCallback(n_trials, states=states)
        objective = _Objective(estimator, X, y, space, splits, valid_fraction, scoring,
                               pruning is not False and pruning is not None)
        study.optimize(objective, n_trials=None,
                       callbacks=[stop, _FailureLimit(n_trials), *(callbacks or [])],
                       catch=(ConvergenceError, FloatingPointError) if catch is None
                       else tuple(catch), gc_after_trial=True)
    return study
