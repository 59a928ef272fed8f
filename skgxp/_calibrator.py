"""QuantileCalibrator: BHI's quantile post-processing as a meta-estimator."""

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._validation import check_target
from .metrics import pearson_r


class QuantileCalibrator(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """Map a regressor's predictions to quantiles of the training targets.

    BHI submitted, for every test promoter, the quantile of its prediction
    among the training expressions, computed against a normal approximation:
    ``norm.cdf(x, loc=0.0620...)`` on standardized predictions. Written in the
    units of ``y`` that is ``method="normal"``::

        Phi((y_hat - mean(y_train)) / std(y_train))

    ``method="empirical"`` uses the training targets themselves. The
    prediction is ranked as one more value among the ``n`` training targets,
    ties counted half below and half above (mid-rank), and its rank is turned
    into a quantile with Hazen's plotting position::

        (n_below + n_equal / 2 + 1 / 2) / (n + 1)

    which lies strictly inside (0, 1): ``0.5 / (n + 1)`` below every training
    target, ``(n + 0.5) / (n + 1)`` above all of them, symmetric between the
    two tails. (The plain fraction of targets ``<= y_hat`` would reach 0 and
    1, so predictions beyond the training range would all tie at the ends.)

    Both methods are monotone, so rank correlations are unchanged; they
    reshape the values, which changes Pearson scores.

    Parameters
    ----------
    regressor : estimator
        Any regressor (e.g. a ``PromoterEncoder`` + ``DeepGXPRegressor``
        pipeline). It is cloned and fitted in ``fit``, unless it is a
        :class:`~sklearn.frozen.FrozenEstimator`, which is used as it is.
    method : {"normal", "empirical"}, default="normal"
        ``"normal"`` is BHI's post-processing.

    Attributes
    ----------
    regressor_ : estimator
        The fitted regressor.
    target_mean_ : float or ndarray of shape (n_outputs,)
        Mean of the training targets (per output for several).
    target_std_ : float or ndarray of shape (n_outputs,)
        Standard deviation (ddof 0) of the training targets.
    sorted_targets_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The training targets, sorted (per column; used by
        ``method="empirical"``).

    See Also
    --------
    skgxp.metrics.pearson_r : The correlation :meth:`score` returns.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LinearRegression
    >>> from skgxp import QuantileCalibrator
    >>> X = np.arange(10.0).reshape(-1, 1); y = 2 * X.ravel()
    >>> model = FrozenEstimator(LinearRegression().fit(X, y))
    >>> calibrated = QuantileCalibrator(model).fit(X, y)
    >>> calibrated.predict([[4.5]]).round(3)
    array([0.5])
    >>> round(calibrated.score(X, y), 3)  # Pearson r of the quantiles with y
    0.995
    >>> empirical = QuantileCalibrator(model, method="empirical").fit(X, y)
    >>> empirical.predict([[-100.0], [100.0]]).round(3)  # beyond the training targets
    array([0.045, 0.955])
    """

    _parameter_constraints = {
        "regressor": [HasMethods(["fit", "predict"])],
        "method": [StrOptions({"normal", "empirical"})],
    }

    def __init__(self, regressor, method="normal"):
        self.regressor = regressor
        self.method = method

    def fit(self, X, y, **fit_params):
        """Fit the regressor (unless frozen) and record the target distribution.

        Parameters
        ----------
        X : array-like
            Whatever the regressor takes (promoter strings for a pipeline).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Training targets; each output is calibrated on its own.
        **fit_params : dict
            Passed to the regressor's ``fit``.

        Returns
        -------
        self : QuantileCalibrator
            The fitted calibrator.
        """
        self._validate_params()
        targets = None if y is None else np.asarray(y)
        check_target(targets, len(targets) if targets is not None and targets.ndim else 0)
        self.regressor_ = clone(self.regressor).fit(X, y, **fit_params)
        # Statistics in float64: check_target's float32 is for torch.
        targets = targets.astype(np.float64).reshape(len(targets), -1)
        mean, std = targets.mean(axis=0), targets.std(axis=0)
        std[~(std > 0)] = 1.0
        if targets.shape[1] == 1:  # one output: floats and a 1-D array, as BHI
            self.target_mean_, self.target_std_ = float(mean[0]), float(std[0])
            self.sorted_targets_ = np.sort(targets[:, 0])
        else:  # per output: arrays of shape (k,), each column sorted
            self.target_mean_, self.target_std_ = mean, std
            self.sorted_targets_ = np.sort(targets, axis=0)
        return self

    def predict(self, X):
        """Calibrated predictions: quantiles of the training targets.

        Parameters
        ----------
        X : array-like
            Whatever the regressor takes.

        Returns
        -------
        quantiles : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Quantile of each prediction among the training targets. With
            ``method="empirical"`` strictly inside (0, 1). With
            ``method="normal"`` in [0, 1]: ``Phi`` never reaches 0 or 1, but
            in float64 it rounds to exactly 1.0 for predictions more than about
            8.3 standard deviations above the training mean, and to 0.0 about
            38.5 below it.
        """
        check_is_fitted(self)
        return self.transform_predictions(self.regressor_.predict(X))

    def transform_predictions(self, y_pred):
        """Apply the calibration to predictions already made by the regressor.

        Parameters
        ----------
        y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Raw predictions in the units of ``y``.

        Returns
        -------
        quantiles : ndarray of shape (n_samples,)
            The calibrated values.
        """
        check_is_fitted(self)
        y_pred = np.asarray(y_pred, dtype=np.float64)
        k = np.size(self.target_mean_)
        if k == 1:
            y_pred = y_pred.ravel()
        elif y_pred.ndim != 2 or y_pred.shape[1] != k:
            raise ValueError(f"y_pred must have shape (n, {k}), one column per output; "
                             f"got {y_pred.shape}.")
        if self.method == "normal":
            return stats.norm.cdf((y_pred - self.target_mean_) / self.target_std_)
        if k == 1:
            return self._empirical(self.sorted_targets_, y_pred)
        return np.column_stack([self._empirical(self.sorted_targets_[:, j], y_pred[:, j])
                                for j in range(k)])

    @staticmethod
    def _empirical(sorted_targets, y_pred):
        below = np.searchsorted(sorted_targets, y_pred, side="left")
        at_or_below = np.searchsorted(sorted_targets, y_pred, side="right")
        # n_below + n_equal / 2 + 1 / 2, over n + 1 (Hazen, mid-rank ties).
        return (below + at_or_below + 1) / (2 * (sorted_targets.size + 1))

    def score(self, X, y):
        """Pearson correlation of the calibrated predictions with ``y``.

        This replaces the R² that :class:`~sklearn.base.RegressorMixin`
        would give: the quantiles are not in the units of ``y``, so their R²
        against ``y`` measures mostly the offset between the two scales and
        can rank a useless model above a good one. Pearson r is what the
        DREAM challenge scored submitted quantiles on (its Pearson score is
        r² per subset); r keeps the sign, so an anti-correlated model ranks
        last. Unlike the Spearman rho, which every monotone calibration
        leaves unchanged, it also tells ``method="normal"`` from
        ``"empirical"`` in a search. It is what a search such as
        :class:`~sklearn.model_selection.GridSearchCV` maximizes when no
        ``scoring`` is given.

        Parameters
        ----------
        X : array-like
            Whatever the regressor takes.
        y : array-like of shape (n_samples,)
            Measured targets, in any units.

        Returns
        -------
        r : float
            Pearson r of ``predict(X)`` with ``y``; NaN when either is
            constant.
        """
        return pearson_r(y, self.predict(X))

    @property
    def n_features_in_(self):
        """Number of features seen by the fitted regressor."""
        # AttributeError before fit, so hasattr() is False (as TransformedTargetRegressor).
        try:
            check_is_fitted(self)
        except NotFittedError as exc:
            raise AttributeError(
                f"{type(self).__name__} has no n_features_in_ before fit."
            ) from exc
        return self.regressor_.n_features_in_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.regressor.__sklearn_tags__()
        tags.input_tags = inner.input_tags
        tags.regressor_tags.poor_score = True
        return tags
