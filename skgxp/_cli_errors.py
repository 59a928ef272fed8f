"""Exit statuses of the ``skgxp`` command and the error its subcommands raise."""

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CommandError(Exception):
    """An expected failure: a message for the user and the exit status.

    Parameters
    ----------
    message : str
        What went wrong and where, for standard error.
    exit_code : int, default=EXIT_USAGE
        ``EXIT_USAGE`` (2) for bad usage or input, found before any long work
        starts; ``EXIT_FAILURE`` (1) for a run that failed.
    """

    def __init__(self, message, exit_code=EXIT_USAGE):
        super().__init__(message)
        self.exit_code = exit_code
