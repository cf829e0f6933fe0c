import pytest
from oleg.testing.synthetic import SyntheticFeedback, synthetic_feedback


@pytest.fixture(scope="session")
def synthetic() -> SyntheticFeedback:
    return synthetic_feedback()
