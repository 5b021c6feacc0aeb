import pytest

# The helper modules' asserts explain failures as a test's would.
pytest.register_assert_rewrite("tests.docker.support", "tests.docker.config_names")
