"""`fitting.context_tok_s`: each user's decode with the whole context asked cached, as every page's tiers and
targets read it."""

import pytest

from catalog.fitting import context_tok_s, user_tok_s
from estimator import Workload, estimate
from tests.engine.engine_specs import Q4_K_M, RTX_4090, llama_8b


def plan_for(users: int):
    w = Workload(context_tokens=32768, batch=users)
    return estimate(
        model=llama_8b(), quant=Q4_K_M, devices=[RTX_4090], workload=w, with_suggestions=False
    ).plans[0]


def test_several_users_share_the_engines_aggregate_at_the_full_context():
    # Llama 3.1 8B Q4_K_M on a 4090, 4 users at 32K: 140.0 tok/s together with every cache full
    # (tests/engine/test_engine_plans.py works it out), 35.0 each; sharing the start's 582 and slowing as one
    # user does (151 → 83.1) said 80.0, over twice that
    plan = plan_for(4)
    assert context_tok_s(plan, 4) == pytest.approx(plan.decode_tok_s_aggregate_at_context / 4)
    assert context_tok_s(plan, 4) == pytest.approx(35.0, rel=0.002)
    assert user_tok_s(plan, 4) * plan.decode_tok_s_at_context / plan.decode_tok_s == pytest.approx(
        80.0, rel=0.01
    )


def test_one_user_reads_the_single_stream_at_the_full_context():
    plan = plan_for(1)
    assert context_tok_s(plan, 1) == plan.decode_tok_s_at_context


def test_a_plan_shared_before_the_engine_gave_the_aggregate_keeps_the_old_bound():
    old = plan_for(4).model_copy(update={"decode_tok_s_aggregate_at_context": None})
    assert context_tok_s(old, 4) == pytest.approx(
        user_tok_s(old, 4) * old.decode_tok_s_at_context / old.decode_tok_s
    )
