"""NeMo's logger object: format, stream split, LogMode.ONCE, verbosity, files, ranks, warnings."""

from __future__ import annotations

import io
import logging
import re
import warnings

import pytest

from expmanager import logfiles
from expmanager.nemo_logging import LIBRARY_LOGGERS, LOGGER_NAME, Logger, LogMode

LINE = re.compile(r"^\[NeMo (?P<level>[DIWEC]) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?P<where>\S+)\] (?P<text>.*)$")


@pytest.fixture
def make_logger(monkeypatch):
    """Build fresh Logger objects and undo what they did to the shared stdlib loggers afterwards."""
    for name in (
        "RANK",
        "SLURM_PROCID",
        "OMPI_COMM_WORLD_RANK",
        "NEMO_TESTING",
        "NEMO_REDIRECT_LOGS_TO_STDERR",
    ):
        monkeypatch.delenv(name, raising=False)
    names = (LOGGER_NAME, *LIBRARY_LOGGERS)
    saved = {name: (logging.getLogger(name).level, list(logging.getLogger(name).handlers)) for name in names}
    created: list[Logger] = []

    def make(**kwargs):
        kwargs.setdefault("capture_warnings", False)
        logger = Logger(**kwargs)
        created.append(logger)
        return logger

    yield make
    for logger in created:
        logger.captureWarnings(False)
        for key in list(logger._handlers):
            logger._detach(key)
    for name, (level, handlers) in saved.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).handlers[:] = handlers


def _patched(logger: Logger) -> tuple[io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    logger.patch_stdout_handler(out)
    logger.patch_stderr_handler(err)
    return out, err


def test_info_goes_to_stdout_and_warning_to_stderr_in_nemo_format(make_logger):
    logger = make_logger()
    out, err = _patched(logger)
    logger.info("hello %s", 42)
    logger.warning("careful")
    logger.debug("hidden at INFO")

    [info_line] = out.getvalue().splitlines()
    match = LINE.match(info_line)
    assert match, info_line
    # The caller's module and line, not the logger's own frames.
    assert match["level"] == "I"
    assert match["where"].startswith("test_nemo_logging:")
    assert match["text"] == "hello 42"
    [warn_line] = err.getvalue().splitlines()
    assert LINE.match(warn_line)["level"] == "W"
    assert "careful" not in out.getvalue()


def test_log_mode_once_emits_a_message_the_first_time_only(make_logger):
    logger = make_logger()
    out, _ = _patched(logger)
    for _ in range(3):
        logger.info("only once", mode=LogMode.ONCE)
        logger.info("every time")
    text = out.getvalue()
    assert text.count("only once") == 1
    assert text.count("every time") == 3


def test_verbosity_covers_the_packages_loggers_and_temp_verbosity_restores_it(make_logger):
    logger = make_logger()
    out, _ = _patched(logger)
    logger.set_verbosity(Logger.DEBUG)
    assert logger.get_verbosity() == logging.DEBUG
    assert logging.getLogger("modelpt").level == logging.DEBUG
    logging.getLogger("modelpt.modelpt").debug("from the modelpt package")
    assert "from the modelpt package" in out.getvalue()

    logger.set_verbosity(Logger.INFO)
    with logger.temp_verbosity(Logger.ERROR):
        assert logger.getEffectiveLevel() == logging.ERROR
        logger.info("suppressed")
    assert logger.getEffectiveLevel() == logging.INFO
    assert "suppressed" not in out.getvalue()


def test_file_handlers_append_messages_and_refuse_a_missing_directory(make_logger, tmp_path):
    logger = make_logger()
    _patched(logger)
    everything = logger.add_file_handler(tmp_path / "all.txt")
    errors = logger.add_err_file_handler(tmp_path / "err.txt")
    logger.info("an info line")
    logger.error("an error line")
    assert "an info line" in everything.read_text()
    assert "an error line" in everything.read_text()
    assert "an info line" not in errors.read_text()
    assert "an error line" in errors.read_text()
    with pytest.raises(FileNotFoundError, match="directory does not exist"):
        logger.add_file_handler(tmp_path / "missing" / "log.txt")


def test_exp_manager_log_files_receive_nemo_logger_messages(make_logger, tmp_path):
    logger = make_logger()
    _patched(logger)
    files = logfiles.install_file_handlers(tmp_path, global_rank=0, local_rank=0)
    try:
        logger.info("through nemo.utils.logging")
        logger.warning("a warning for the error log")
    finally:
        logfiles.remove_file_handlers()
    rank_file = tmp_path / "nemo_log_globalrank-0_localrank-0.txt"
    assert rank_file in files
    assert "through nemo.utils.logging" in rank_file.read_text()
    assert "a warning for the error log" in (tmp_path / "nemo_error_log.txt").read_text()


def test_redirect_to_stderr_sends_every_level_there(make_logger, monkeypatch, capsys):
    monkeypatch.setenv("NEMO_REDIRECT_LOGS_TO_STDERR", "1")
    logger = make_logger()
    logger.info("info to stderr")
    captured = capsys.readouterr()
    assert "info to stderr" in captured.err
    assert captured.out == ""


def test_only_global_rank_zero_prints_unless_testing(make_logger, monkeypatch, capsys):
    monkeypatch.setenv("RANK", "3")
    quiet = make_logger()
    quiet.info("rank three speaks")
    assert capsys.readouterr().out == ""
    for key in list(quiet._handlers):
        quiet._detach(key)

    monkeypatch.setenv("NEMO_TESTING", "true")
    loud = make_logger()
    assert loud.get_verbosity() == logging.DEBUG
    loud.debug("debug from rank three")
    line = capsys.readouterr().out.strip()
    assert "debug from rank three" in line
    assert "rank:3]" in line


def test_captured_warnings_are_logged_and_release_restores_printing(make_logger):
    original = warnings.showwarning
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logger = make_logger(capture_warnings=True)
        _, err = _patched(logger)
        warnings.warn("a deprecated thing", DeprecationWarning, stacklevel=1)
        logger.captureWarnings(False)
        assert warnings.showwarning is original
    assert "DeprecationWarning: a deprecated thing" in err.getvalue()
    assert LINE.match(err.getvalue().splitlines()[0])["level"] == "W"


def test_module_instance_is_what_nemo_utils_exposes():
    from expmanager import nemo_logging

    assert isinstance(nemo_logging.logging, Logger)
    assert nemo_logging.logging.NOTSET == logging.NOTSET
    assert LogMode.ONCE == 1
    assert LogMode.EACH == 0
