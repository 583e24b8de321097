import pytest
from fastapi.testclient import TestClient
from salur.service.app import create_app
from salur.service.settings import Settings

KEY = "test-key-123"


@pytest.fixture(scope="session")
def small_model_dir(save_small_model):
    return save_small_model("small-test")


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path}/review.db"


@pytest.fixture
def make_client(small_model_dir, database_url):
    clients = []

    def build(**overrides):
        values = {
            "model_dir": small_model_dir,
            "api_keys": [KEY],
            "database_url": database_url,
            **overrides,
        }
        client = TestClient(create_app(Settings(**values)))
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def auth():
    return {"X-API-Key": KEY}
