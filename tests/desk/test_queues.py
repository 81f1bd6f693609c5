"""Celery queues: every task is routed to a queue chosen for it, and some worker consumes each one
(a queue no worker reads stalls its tasks silently: nothing fails, nothing happens)."""

import inspect
import json
import shlex

import pytest
import redis
from django.conf import settings

from desk.celery import app
from tests.support import ROOT, TASK_QUEUES, WORKER_QUEUES, broker_clear, worker_queues


def _registered_tasks() -> list[str]:
    app.loader.import_default_modules()  # every app's tasks, as a worker registers them
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def _queue_of(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def procfile_worker_queues() -> set[str]:
    """The queues the Procfile's worker line names after -Q (none: only the default queue)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("worker:"):
            return worker_queues(shlex.split(line.partition(":")[2]))
    raise AssertionError("the Procfile has no worker line")


def test_it_routes_every_registered_task_to_a_queue_chosen_for_it():
    tasks = _registered_tasks()
    assert len(tasks) > 40  # the discovery really found the apps' tasks
    unrouted = [name for name in tasks if name not in settings.CELERY_TASK_ROUTES]
    assert unrouted == [], "choose a queue for these in DESK_TASK_QUEUES"
    assert {name: _queue_of(name) for name in tasks} == {
        name: route["queue"] for name, route in settings.CELERY_TASK_ROUTES.items()
    }  # also: no route names a task that does not exist (a typo would route nothing)
    assert {_queue_of(name) for name in tasks} == set(settings.DESK_TASK_QUEUES)


def test_it_sends_unrouted_tasks_to_the_default_queue_which_is_a_named_one():
    assert _queue_of("desk.tasks.not_a_task_yet") == settings.CELERY_TASK_DEFAULT_QUEUE
    assert settings.CELERY_TASK_DEFAULT_QUEUE in settings.DESK_TASK_QUEUES
    assert worker_queues(["worker"]) == {settings.CELERY_TASK_DEFAULT_QUEUE}


def test_it_has_every_worker_started_by_make_run_tests_and_benches_consume_every_queue():
    assert set(TASK_QUEUES) == set(settings.DESK_TASK_QUEUES)
    assert worker_queues(WORKER_QUEUES) == set(settings.DESK_TASK_QUEUES)
    assert procfile_worker_queues() == set(settings.DESK_TASK_QUEUES)


@pytest.fixture
def broker():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL  # never a developer's own Redis
    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker_clear(r)
    yield r
    broker_clear(r)


def test_it_puts_each_delayed_task_on_its_queue_in_redis(broker):
    tasks = _registered_tasks()
    for name in tasks:
        task = app.tasks[name]
        required = [
            p for p in inspect.signature(task.run).parameters.values() if p.default is p.empty
        ]
        task.delay(*[1] * len(required))  # ids; no worker runs them

    landed = {
        json.loads(raw)["headers"]["task"]: queue
        for queue in settings.DESK_TASK_QUEUES
        for raw in broker.lrange(queue, 0, -1)
    }
    assert landed == {name: settings.CELERY_TASK_ROUTES[name]["queue"] for name in tasks}
    assert broker.llen("celery") == 0  # Celery's own default name is not used any more
