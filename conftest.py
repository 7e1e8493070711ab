import os

# scikit-learn's array-API check runs (instead of skipping) only when this is set
# before SciPy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    # tiny matrices on several BLAS threads are several times slower
    with threadpool_limits(limits=1, user_api="blas"):
        yield
