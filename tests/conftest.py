import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def one_blas_thread():
    """BLAS on one thread for the whole session: the networks under test are tiny, and
    tiny matrices run several times slower on two OpenBLAS threads. Tests about thread
    settings set their own limits inside this one."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield
