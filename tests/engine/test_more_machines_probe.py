"""The suggestion of more machines checks each machine count from memory alone and builds the plan of the
first that fits without checking that count again (`suggest._more_machines`)."""

from engine_specs import F16, RTX_4090, llama_70b

from estimator import Workload, ranking, suggest


def test_the_machine_count_that_fits_is_checked_once(monkeypatch):
    asked: list[int] = []
    real = ranking.plan_fits

    def counted(**kw):
        asked.append(kw["workload"].hosts)
        return real(**kw)

    monkeypatch.setattr(ranking, "plan_fits", counted)
    monkeypatch.setattr(suggest, "plan_fits", counted)
    more = suggest._more_machines(llama_70b(), F16, [RTX_4090], Workload(context_tokens=4096, hosts=2))
    assert more is not None
    hosts = more.changes["hosts"]
    assert asked == list(range(3, hosts + 1))  # each count once, the one that fits too
