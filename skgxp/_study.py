"""The study of a search: its storage (with a heartbeat), sampler, pruner and checks."""

import inspect
import time
import warnings

import numpy as np

_SEARCH_ATTR = "skgxp_search"


def optuna_module():
    """optuna, or an ImportError that says how to install it."""
    try:
        import optuna
    except ImportError:
        raise ImportError("skgxp.tuning needs optuna and optuna-integration: pip install "
                          "'skgxp[optuna]'") from None
    return optuna


def _stale_trial(grace):
    def report(study, trial):
        warnings.warn(
            f"trial {trial.number} of study {study.study_name!r} was left RUNNING by a "
            f"process that stopped (no heartbeat for over {grace} s): marked FAIL; it does "
            "not count toward n_trials.", UserWarning, stacklevel=2)
    return report


def make_storage(storage, heartbeat_interval=60):
    """An Optuna storage from a URL; storage objects are returned as they are.

    ``"journal:PATH"`` is Optuna's journal file (no database; works over
    NFS). Other strings are SQLAlchemy URLs (``sqlite:///FILE``,
    ``postgresql://...``, ``mysql+pymysql://...``), opened with Optuna's
    heartbeat every ``heartbeat_interval`` seconds (None: without), so that a
    trial whose process was killed is marked FAIL after twice that long.
    """
    optuna = optuna_module()
    if not isinstance(storage, str):
        return storage
    if storage.startswith("journal:"):
        path = storage[len("journal:"):]
        if not path:
            raise ValueError("storage 'journal:' needs a file path, e.g. "
                             "'journal:/shared/study.log'.")
        try:
            from optuna.storages.journal import JournalFileBackend
        except ImportError:  # optuna < 4.0
            from optuna.storages import JournalFileStorage as JournalFileBackend
        return optuna.storages.JournalStorage(JournalFileBackend(path))
    kwargs = {}
    if heartbeat_interval is not None:
        # optuna 4.9 renamed failed_trial_callback (deprecated since).
        names = inspect.signature(optuna.storages.RDBStorage).parameters
        key = ("heartbeat_stale_trial_callback" if "heartbeat_stale_trial_callback" in names
               else "failed_trial_callback")
        kwargs = {"heartbeat_interval": heartbeat_interval,
                  key: _stale_trial(2 * heartbeat_interval)}
    import sqlalchemy.exc

    for attempt in range(3):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(storage, **kwargs)
        # Processes that open a new database at once race to create its tables.
        except sqlalchemy.exc.OperationalError:
            if attempt == 2:
                raise
            time.sleep(1 + attempt)


def pruner_of(pruning):
    """The pruner of ``tune(pruning=...)``: True is Optuna's MedianPruner, False none."""
    optuna = optuna_module()
    if pruning is True:
        return optuna.pruners.MedianPruner()
    if pruning is False or pruning is None:
        return optuna.pruners.NopPruner()
    if isinstance(pruning, optuna.pruners.BasePruner):
        return pruning
    raise ValueError(f"pruning must be True, False or an optuna pruner; got {pruning!r}.")


def _trial_count(storage, study_name):
    """Trials of any state in the study (0 when there is no such study yet)."""
    try:
        study_id = storage.get_study_id_from_name(study_name)
    except KeyError:
        return 0
    return len(storage.get_all_trials(study_id, deepcopy=False))


def finished_trials(study):
    """How many trials of ``study`` count toward ``n_trials``: complete or pruned."""
    optuna = optuna_module()
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return len(study.get_trials(deepcopy=False, states=states))


def open_study(storage, study_name, search, *, random_state, pruner, heartbeat_interval):
    """Create the study or load it, checked against ``search``; stale trials failed."""
    optuna = optuna_module()
    storage = make_storage(storage, heartbeat_interval)
    # The sampler's seed depends on the trials already run, so that a resumed run (or
    # another machine) does not propose the first run's trials again.
    seed = None if random_state is None else int(np.random.SeedSequence(
        [random_state, _trial_count(storage, study_name)]).generate_state(1)[0])
    with warnings.catch_warnings():  # constant_liar is experimental in optuna 3
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    study = optuna.create_study(storage=storage, study_name=study_name, sampler=sampler,
                                pruner=pruner, direction="maximize",
                                load_if_exists=True)
    if study.directions != [optuna.study.StudyDirection.MAXIMIZE]:
        raise ValueError(f"study {study_name!r} exists and does not maximize one objective; "
                         "skgxp maximizes its score: choose another study name.")
    stored = study.user_attrs.get(_SEARCH_ATTR)
    if stored is None:
        study.set_user_attr(_SEARCH_ATTR, search)
    else:
        differ = [f"{key}: {stored.get(key)!r} there, {search[key]!r} now"
                  for key in search if stored.get(key) != search[key]]
        if differ:
            raise ValueError(
                f"study {study_name!r} was started with another search (" + "; ".join(differ)
                + "); rerun with the same settings to continue it, or choose another "
                "study name.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    return study
