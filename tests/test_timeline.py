"""Tests for cassette_tui.timeline: one recording's steps, and a test's recordings ordered into turns.

Hand-made recordings are written into tmp_path; the corpus case orders the five
real recordings of one gpt-4o multi-turn tool test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cassette_tui.timeline as tl  # not `from ... import test_turns`: pytest would collect it
from cassette_tui.recording import Recording

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

TID = "tests/integration/responses/test_tools.py::test_weather_then_time[client_with_models-txt=openai/gpt-4o-paris]"
CHUNK = "openai.types.chat.chat_completion_chunk.ChatCompletionChunk"
QUESTION = "What is the weather and the time in Paris?"


def tool(name):
    return {"type": "function", "function": {"name": name, "description": "", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


TOOLS = [tool("get_weather"), tool("get_time")]


def chunk(delta, finish=None):
    return {"__type__": CHUNK, "__data__": {"id": "rec-x", "object": "chat.completion.chunk", "model": "gpt-4o",
                                            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "usage": None}}


def tool_call_stream(call_id, name, args):
    return [
        chunk({"role": "assistant", "content": None, "tool_calls": [{"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "id": None, "type": None, "function": {"name": None, "arguments": args}}]}),
        chunk({}, finish="tool_calls"),
    ]


def text_stream(text):
    return [chunk({"role": "assistant", "content": text}), chunk({}, finish="stop")]


def assistant_call(call_id, name, args):
    return {"role": "assistant", "content": "", "tool_calls": [{"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": args}}]}


def tool_reply(call_id, text):
    return {"role": "tool", "tool_call_id": call_id, "content": [{"type": "text", "text": text}]}


def chat(messages, response_body, test_id=TID):
    return {"test_id": test_id,
            "request": {"method": "POST", "url": "https://api.openai.com/v1/v1/chat/completions", "headers": {},
                        "body": {"model": "gpt-4o", "messages": messages, "tools": TOOLS, "stream": True},
                        "endpoint": "/v1/chat/completions", "model": "gpt-4o"},
            "response": {"body": response_body, "is_streaming": True},
            "id_normalization_mapping": {}}


WEATHER_ARGS = '{"city":"Paris"}'
USER = {"role": "user", "content": QUESTION}
TURN1 = chat([USER], tool_call_stream("call_w", "get_weather", WEATHER_ARGS))
TURN2 = chat([USER, assistant_call("call_w", "get_weather", WEATHER_ARGS), tool_reply("call_w", "18C, sunny")],
             tool_call_stream("call_t", "get_time", WEATHER_ARGS))
TURN3 = chat([USER, assistant_call("call_w", "get_weather", WEATHER_ARGS), tool_reply("call_w", "18C, sunny"),
              assistant_call("call_t", "get_time", WEATHER_ARGS), tool_reply("call_t", "14:05")],
             text_stream("It is 18C and sunny in Paris, and the time is 14:05."))
TOOL_RUN = {"test_id": TID,
            "request": {"test_id": TID, "provider": "weather-service", "tool_name": "get_weather", "kwargs": {"city": "Paris"}},
            "response": {"body": {"__type__": "llama_stack.apis.tools.tools.ToolInvocationResult",
                                  "__data__": {"content": "18C, sunny", "error_message": None, "error_code": None, "metadata": None}},
                         "is_streaming": False},
            "id_normalization_mapping": {}}


def save(tmp_path: Path, name: str, data: dict) -> Recording:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    rec = Recording.load(path)
    assert rec.problem is None
    return rec


def brief(steps):
    return [(s.role, s.kind, s.name, s.text, s.new) for s in steps]


# --- one recording ----------------------------------------------------------------------


def test_recording_timeline_names_tool_results_after_their_calls(tmp_path):
    rec = save(tmp_path, "t3", TURN3)
    steps = tl.recording_timeline(rec)
    assert brief(steps) == [
        ("user", "text", "", QUESTION, False),
        ("assistant", "tool_call", "get_weather", WEATHER_ARGS, False),
        ("tool", "tool_result", "get_weather", "18C, sunny", False),
        ("assistant", "tool_call", "get_time", WEATHER_ARGS, False),
        ("tool", "tool_result", "get_time", "14:05", False),
        ("assistant", "text", "", "It is 18C and sunny in Paris, and the time is 14:05.", True),
    ]
    assert [s.call_id for s in steps] == ["", "call_w", "call_w", "call_t", "call_t", ""]


def test_a_tool_result_whose_call_is_unknown_stays_unnamed(tmp_path):
    rec = save(tmp_path, "orphan", chat([USER, tool_reply("call_zzz", "?")], text_stream("ok")))
    steps = tl.recording_timeline(rec)
    assert (steps[1].kind, steps[1].name, steps[1].call_id) == ("tool_result", "", "call_zzz")


# --- turns --------------------------------------------------------------------------------


def test_three_turns_given_out_of_order(tmp_path):
    # names sort the wrong way round on purpose
    recs = [save(tmp_path, "c-turn1", TURN1), save(tmp_path, "a-turn3", TURN3), save(tmp_path, "b-turn2", TURN2)]
    turns = tl.test_turns([recs[1], recs[2], recs[0]])
    assert [t.recording.id for t in turns] == ["c-turn1", "b-turn2", "a-turn3"]
    assert [t.number for t in turns] == [1, 2, 3]
    assert [t.extends for t in turns] == [None, 1, 2]
    assert [t.shared for t in turns] == [0, 2, 4]
    assert [t.notes for t in turns] == [[], [], []]
    assert brief(turns[0].steps) == [
        ("user", "text", "", QUESTION, False),
        ("assistant", "tool_call", "get_weather", WEATHER_ARGS, True),
    ]
    # each later turn shows only what it added: the tool's answer, then the response
    assert brief(turns[1].steps) == [
        ("tool", "tool_result", "get_weather", "18C, sunny", False),
        ("assistant", "tool_call", "get_time", WEATHER_ARGS, True),
    ]
    assert brief(turns[2].steps) == [
        ("tool", "tool_result", "get_time", "14:05", False),
        ("assistant", "text", "", "It is 18C and sunny in Paris, and the time is 14:05.", True),
    ]
    assert turns[2].to_json()["extends"] == 2
    assert turns[2].to_json()["steps"][0] == {"role": "tool", "kind": "tool_result", "text": "14:05", "name": "get_time", "call_id": "call_t", "new": False,
                                               "message": 4, "part": 0}


def test_tool_invocation_slots_after_the_turn_that_called_it(tmp_path):
    recs = [save(tmp_path, "t3", TURN3), save(tmp_path, "run", TOOL_RUN), save(tmp_path, "t2", TURN2), save(tmp_path, "t1", TURN1)]
    turns = tl.test_turns(recs)
    assert [t.recording.id for t in turns] == ["t1", "run", "t2", "t3"]
    assert [t.recording.kind for t in turns] == ["chat", "tool", "chat", "chat"]
    assert [t.extends for t in turns] == [None, None, 1, 3]
    assert brief(turns[1].steps) == [
        ("tool", "tool_call", "get_weather", '{"city":"Paris"}', False),
        ("tool", "tool_result", "get_weather", "18C, sunny", True),
    ]


def test_a_tool_run_nobody_called_goes_last(tmp_path):
    other = json.loads(json.dumps(TOOL_RUN))
    other["request"]["tool_name"] = "web_search"
    turns = tl.test_turns([save(tmp_path, "run", other), save(tmp_path, "t1", TURN1)])
    assert [t.recording.id for t in turns] == ["t1", "run"]


def test_diverging_histories_are_noted(tmp_path):
    london = chat([USER, assistant_call("call_l", "get_weather", '{"city":"London"}'), tool_reply("call_l", "12C, rain")],
                  text_stream("It is raining."))
    turns = tl.test_turns([save(tmp_path, "t1", TURN1), save(tmp_path, "london", london)])
    assert [t.recording.id for t in turns] == ["t1", "london"]
    assert (turns[1].extends, turns[1].shared) == (1, 1)
    assert turns[1].notes == ["history diverges after 1 shared steps"]
    assert brief(turns[1].steps)[0] == ("assistant", "tool_call", "get_weather", '{"city":"London"}', False)


def test_same_messages_different_request_is_noted(tmp_path):
    again = json.loads(json.dumps(TURN1))
    again["request"]["body"]["temperature"] = 0.7
    turns = tl.test_turns([save(tmp_path, "a", TURN1), save(tmp_path, "b", again)])
    # a re-recorded variant, not a turn that continues the first
    assert turns[1].notes == ["variant of turn 1: body.temperature differs (the same messages sent)"]
    assert (turns[1].extends, turns[1].variant_of, turns[1].shared) == (None, 1, 1)
    assert turns[1].to_json()["variant_of"] == 1
    assert brief(turns[1].steps) == [("assistant", "tool_call", "get_weather", WEATHER_ARGS, True)]


def test_a_continuation_follows_the_sibling_whose_call_ids_it_carries(tmp_path):
    """Two recordings answer the same first request (a stale one and a live one with other
    call ids): the next turn extends the one whose tool-call ids its history carries."""
    stale = chat([USER], tool_call_stream("call_old", "get_weather", WEATHER_ARGS))
    turns = tl.test_turns([save(tmp_path, "a-stale", stale), save(tmp_path, "b-live", TURN1), save(tmp_path, "c-next", TURN2)])
    by_id = {t.recording.id: t for t in turns}
    assert by_id["c-next"].extends == by_id["b-live"].number
    assert by_id["c-next"].shared == 2


def test_invalid_and_admin_recordings_go_last(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_bytes(b"{")
    ps = {"request": {"method": "POST", "url": "http://localhost:11434/api/ps", "headers": {}, "body": {}, "endpoint": "/api/ps", "model": ""},
          "response": {"body": {"__type__": "ollama._types.ProcessResponse", "__data__": {"models": []}}, "is_streaming": False}}
    turns = tl.test_turns([Recording.load(bad), save(tmp_path, "ps", ps), save(tmp_path, "t1", TURN1)])
    assert [(t.recording.id, t.recording.kind) for t in turns] == [("t1", "chat"), ("broken", "invalid"), ("ps", "admin")]
    assert turns[1].steps == []


def test_no_recordings():
    assert tl.test_turns([]) == []


# --- the real corpus --------------------------------------------------------------------


GPT4O = "tests/integration/responses/test_tool_responses.py::test_response_streaming_multi_turn_tool_execution[client_with_models-txt=openai/gpt-4o-user_permissions_workflow]"
GPT4O_FILES = [  # deliberately not in conversation order
    "a9c49a7e865b73fe4eb500efeb2e745f3f7dc15499a8bcb8bddab59b9c4fe18e",   # 7 messages -> "No"
    "aadc06753bab7e4450f37786f558c58bef42fce2301fd2f868f85564de6e1d96",   # 3 messages -> get_user_permissions
    "25b4b134c4763373b0826bf166f76eb24417b8891db1e58085d6723547fd3a4a",   # 1 message -> get_user_id (no stream_options: stale)
    "4078aa36a9cbcb50c445a46d69fb9126952d1c85f3d413125b034730e51b6508",   # 5 messages -> check_file_access
    "8ce3e23e7ca45e8adfd23c2910731f376e62379f85d67eacfecc6c4a95fccb82",   # 1 message -> get_user_id (the live one)
]


def test_corpus_gpt4o_multi_turn_tool_conversation():
    folder = CORPUS / "2025-10" / "tests" / "integration" / "responses" / "recordings"
    if not folder.is_dir():
        pytest.skip("the shared corpus (../shared/corpus) is not present")
    recs = [Recording.load(folder / f"{h}.json") for h in GPT4O_FILES]
    assert {r.test_id for r in recs} == {GPT4O}
    turns = tl.test_turns(recs)
    assert len(turns) == 5
    ids = [t.recording.id[:12] for t in turns]
    # the live first turn (its call id is sent back later) before its stale twin, then the chain
    assert ids == ["8ce3e23e7ca4", "25b4b134c476", "aadc06753bab", "4078aa36a9cb", "a9c49a7e865b"]
    assert [t.extends for t in turns] == [None, None, 1, 3, 4]
    assert [t.variant_of for t in turns] == [None, 1, None, None, None]
    by_id = {t.recording.id[:12]: t for t in turns}

    # follow the live chain back from the final answer: each turn extends the one whose call ids it carries
    chain = []
    turn = by_id["a9c49a7e865b"]
    while turn is not None:
        chain.append(turn.recording.id[:12])
        turn = turns[turn.extends - 1] if turn.extends else None
    assert chain == ["a9c49a7e865b", "4078aa36a9cb", "aadc06753bab", "8ce3e23e7ca4"]
    # what the conversation did, turn by turn along that chain
    steps = [s for h in reversed(chain) for s in by_id[h].steps if s.new]
    assert [(s.kind, s.name or s.text) for s in steps] == [
        ("tool_call", "get_user_id"), ("tool_call", "get_user_permissions"), ("tool_call", "check_file_access"), ("text", "No")]

    def new_calls(t):
        return [(s.name, s.text, s.call_id) for s in t.steps if s.new and s.kind == "tool_call"]

    assert new_calls(by_id["8ce3e23e7ca4"]) == [("get_user_id", '{"username":"charlie"}', "call_mEjLRxcZhRdCdW0Ibeu6Pkju")]
    assert new_calls(by_id["25b4b134c476"]) == [("get_user_id", '{"username":"charlie"}', "call_wlq8SHulvxU37rDl8BclzHKf")]
    assert brief(by_id["aadc06753bab"].steps) == [
        ("tool", "tool_result", "get_user_id", "user_11111", False),
        ("assistant", "tool_call", "get_user_permissions", '{"user_id":"user_11111"}', True),
    ]
    assert brief(by_id["4078aa36a9cb"].steps) == [
        ("tool", "tool_result", "get_user_permissions", "admin", False),
        ("assistant", "tool_call", "check_file_access", '{"user_id":"user_11111","filename":"secret_file.txt"}', True),
    ]
    assert brief(by_id["a9c49a7e865b"].steps) == [
        ("tool", "tool_result", "check_file_access", "no", False),
        ("assistant", "text", "", "No", True),
    ]
    assert [by_id[h].shared for h in ("aadc06753bab", "4078aa36a9cb", "a9c49a7e865b")] == [2, 4, 6]
    # the stale twin sends the same messages: a variant of the first turn, not its continuation
    second = turns[1]
    assert second.notes == ["variant of turn 1: body.stream_options differs (the same messages sent)"]
    assert all(t.notes == [] for t in turns[2:])


def test_odd_tool_call_ids_do_not_break_ordering(tmp_path):
    """A response whose tool-call id is not a string (odd JSON) is ordered, not raised on."""
    odd = {"test_id": TID,
           "request": {"url": "https://generativelanguage.googleapis.com/v1beta/interactions", "method": "POST", "test_id": TID,
                       "payload": {"model": "gemini", "input": QUESTION}},
           "response": {"status": 200, "is_streaming": False, "body": {
               "object": "interaction", "status": "requires_action",
               "outputs": [{"type": "function_call", "id": ["not", "a", "string"], "name": "get_weather", "arguments": {"city": "Paris"}}]}}}
    turns = tl.test_turns([save(tmp_path, "odd", odd), save(tmp_path, "t1", TURN1)])
    assert sorted(t.recording.id for t in turns) == ["odd", "t1"]
