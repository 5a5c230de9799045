"""The job store on its own: order, status changes, and what a restart finds."""

from __future__ import annotations

from finevq.serve.jobs import JobStore


def test_jobs_keep_their_order_and_results_across_reopening(tmp_path):
    store = JobStore(tmp_path / "jobs.db")
    first, second, third = (store.add(f"v{i}.mp4", f"/tmp/v{i}.mp4", upload=i != 2) for i in range(3))
    assert (first.status, first.upload, third.upload) == ("queued", True, False)
    assert [store.ahead_of(job) for job in (first, second, third)] == [0, 1, 2]
    store.start(first.id)
    store.finish(first.id, '{"video": "v0.mp4"}')
    store.start(second.id)
    assert store.ahead_of(store.get(third.id)) == 0
    assert store.count("running") == 1
    store.close()

    reopened = JobStore(tmp_path / "jobs.db")
    done = reopened.get(first.id)
    assert (done.status, done.result, done.error_code) == ("done", '{"video": "v0.mp4"}', None)
    assert done.finished >= done.started >= done.created
    waiting = reopened.requeue_unfinished()  # the running one was cut off: it runs again, first
    assert [job.id for job in waiting] == [second.id, third.id]
    assert all(job.status == "queued" and job.started is None for job in waiting)
    reopened.finish(third.id, None, "timeout", "too slow")
    assert (reopened.get(third.id).status, reopened.get(third.id).error_code) == ("failed", "timeout")
    assert reopened.get("nope") is None
