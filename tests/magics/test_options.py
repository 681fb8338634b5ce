"""Every `%config EmbMagics.X = bad` is refused with one logged line and the old value kept."""

from __future__ import annotations

import pytest
from IPython.core.interactiveshell import InteractiveShell

from embmagic.app.options import Options

# (option, a bad value as typed after `=`, a fragment of the logged line)
BAD_OPTIONS: list[tuple[str, str, str]] = [
    ("model", "''", "model must be a non-empty name"),
    ("model", "'   '", "model must be a non-empty name"),
    ("model", "None", "expected a unicode string"),
    ("collection", "''", "collection must be a non-empty name"),
    ("collection", "' animals'", "must not start or end with a space"),
    ("collection", "'animals\\n'", "must not start or end with a space"),
    ("k", "-3", "k must be at least 1"),
    ("k", "0", "k must be at least 1"),
    ("k", "10**30", "k must be at most 1,000,000"),
    ("k", "1.5", "expected an int"),
    ("device", "'gpu'", "device must be one of auto, cpu, cuda, cuda:N, mps"),
    ("device", "'cuda:x'", "device must be one of"),
    ("device", "''", "device must be one of"),
    ("batch_size", "2_000_000", "batch_size must be at most 1,000,000"),
    ("batch_size", "0", "batch_size must be at least 1"),
    ("gpu_batch_size", "0", "gpu_batch_size must be at least 1"),
    ("gpu_batch_size", "10**7", "gpu_batch_size must be at most 1,000,000"),
    ("display_limit", "0", "display_limit must be at least 1"),
    ("text_width", "10**7", "text_width must be at most"),
    ("generator", "''", "generator must be a non-empty name"),
    ("max_answer_tokens", "0", "max_answer_tokens must be at least 1"),
    ("show_progress", "'sometimes'", "expected any of"),
    ("analogy_space", "''", "analogy_space must be a non-empty name"),
    ("search_mode", "'fuzzy'", "expected any of"),
    ("search_mode", "None", "expected any of"),
    ("ray_address", "3", "expected a unicode string"),
    ("ray_batch_size", "-1", "ray_batch_size must be at least 1"),
    ("ray_concurrency", "-1", "ray_concurrency must be 0 (auto) or more"),
    ("ray_concurrency", "10**9", "ray_concurrency must be at most"),
    ("ray_threads", "10**9", "ray_threads must be at most"),
    ("store_dir", "'/dev/null'", "store_dir /dev/null is not a folder"),
    ("store_dir", "3", "expected a unicode string"),
]


def test_every_option_has_a_bad_value_case() -> None:
    others = {"openai_base_url", "openai_model", "openai_api_key", "openai_timeout"}  # rag tests
    assert {o for o, _, _ in BAD_OPTIONS} == set(Options.class_traits(config=True)) - others


@pytest.mark.parametrize(("option", "value", "fragment"), BAD_OPTIONS)
def test_a_bad_option_value_is_one_logged_line_and_the_old_value_stays(
    ip: InteractiveShell, caplog: pytest.LogCaptureFixture, option: str, value: str,
    fragment: str
) -> None:
    magics = ip.magics_manager.registry["EmbMagics"]
    old = getattr(magics, option)
    ip.run_line_magic("config", f"EmbMagics.{option} = {value}")
    assert getattr(magics, option) == old and getattr(magics.session.options, option) == old
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "\n" not in errors[0], errors
    assert fragment in errors[0]


def test_good_values_are_kept_and_device_names_normalised(ip: InteractiveShell) -> None:
    magics = ip.magics_manager.registry["EmbMagics"]
    for option, value, expected in [("device", "'CUDA:1'", "cuda:1"), ("device", "'cpu'", "cpu"),
                                    ("k", "1_000_000", 1_000_000), ("collection", "'a b'", "a b"),
                                    ("generator", "'my-plugin'", "my-plugin"),
                                    ("ray_address", "''", "")]:
        ip.run_line_magic("config", f"EmbMagics.{option} = {value}")
        assert getattr(magics, option) == expected


def test_the_plain_python_options_refuse_the_same_values() -> None:
    from traitlets import TraitError

    options = Options()
    with pytest.raises(TraitError, match="device must be one of"):
        options.device = "tpu"
    with pytest.raises(TraitError, match="batch_size must be at most"):
        options.batch_size = 10**9
    assert (options.device, options.batch_size) == ("auto", 32)
