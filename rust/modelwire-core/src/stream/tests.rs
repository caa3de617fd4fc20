use super::*;

fn fold<F: Format + Default>(pieces: &[&[u8]]) -> (Vec<String>, Result<(), ParseError>, Folder<F>) {
    let mut folder = Folder::<F>::default();
    let mut seen = Vec::new();
    let mut push = |event: Event<'_>| seen.push(format!("{event:?}"));
    let mut result = Ok(());
    for piece in pieces {
        result = folder.feed_with(piece, &mut push);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = folder.finish_with(&mut push);
    }
    (seen, result, folder)
}

const OPENAI: &[u8] = b"data: {\"id\":\"c1\",\"model\":\"m\",\"created\":0,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n\
data: {\"id\":\"c1\",\"created\":7,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\\u00e9\"}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\"\"}}]}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"function\":{\"arguments\":\":1}\"}}]}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"b\",\"function\":{\"name\":\"g\",\"arguments\":{\"y\":[1.0,2],\"y\":3}}}]}}]}\n\n\
data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n\
data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n\
data: [DONE]\n\n";

#[test]
fn openai_chunks_fold_and_any_split_gives_the_same_events() {
    let (events, result, folder) = fold::<openai::Chunks>(&[OPENAI]);
    result.unwrap();
    assert!(folder.done());
    let state = folder.state();
    assert_eq!((state.id.as_deref(), state.created), (Some("c1"), Some(7)));
    let choice = &state.choices[0];
    assert_eq!(choice.content.as_deref(), Some("Hel\u{e9}"));
    // Index 0 reused with another id starts a second call (Ollama); an object is written compactly
    // with the last value of a repeated key.
    let calls: Vec<_> = choice
        .calls
        .iter()
        .map(|c| (c.id.as_deref(), c.name.as_str(), c.arguments_json()))
        .collect();
    assert_eq!(
        calls,
        [(Some("a"), "f", "{\"x\":1}"), (Some("b"), "g", "{\"y\":3}")]
    );
    assert_eq!(state.usage.as_ref().unwrap().total_tokens, Some(7));
    assert_eq!(
        events
            .iter()
            .filter(|e| e.starts_with("ToolCallEnd"))
            .count(),
        2
    );
    for size in [1, 2, 3, 7, 64] {
        let pieces: Vec<&[u8]> = OPENAI.chunks(size).collect();
        let (split, result, _) = fold::<openai::Chunks>(&pieces);
        result.unwrap();
        assert_eq!(split, events, "pieces of {size}");
    }
}

#[test]
fn an_error_event_stops_folding_and_a_fault_changes_nothing() {
    let body = b"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\nevent: error\ndata: {\"error\":{}}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n";
    let (events, result, folder) = fold::<openai::Chunks>(&[body]);
    result.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(folder.error(), Some("{\"error\":{}}"));

    // A fault in required structure (content); an optional member (refusal) would be left out instead.
    let body = b"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":5,\"refusal\":5}}]}\n\n";
    let (events, result, folder) = fold::<openai::Chunks>(&[body]);
    let error = result.unwrap_err();
    assert_eq!(error.path.as_deref(), Some("choices[0].delta.content"));
    assert!(
        error
            .message
            .starts_with("stream event 2: expected a string or an array"),
        "{}",
        error.message
    );
    assert_eq!(events.len(), 1);
    assert_eq!(folder.state().choices[0].content.as_deref(), Some("a"));
}

#[test]
fn a_tool_call_that_never_gets_a_name_is_an_error_when_it_ends() {
    let body = b"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}}]}\n\n";
    let (_, result, _) = fold::<openai::Chunks>(&[body]);
    assert!(result.unwrap_err().message.contains("has no name"));
}

const ANTHROPIC: &[u8] = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg\",\"model\":\"c\",\"content\":[],\"usage\":{\"input_tokens\":5,\"cache_read_input_tokens\":2,\"output_tokens\":1}}}\n\n\
event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n\
data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hm\"}}\n\n\
data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"sig\"}}\n\n\
data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"yes\"}}\n\n\
data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}}\n\n\
data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n\
data: {\"type\":\"content_block_stop\",\"index\":2}\n\n\
data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n\
data: {\"type\":\"message_stop\"}";

#[test]
fn anthropic_events_fold_like_a_non_streamed_message() {
    let (events, result, folder) = fold::<anthropic::Messages>(&[ANTHROPIC]);
    result.unwrap();
    let state = folder.state();
    let choice = &state.choices[0];
    assert_eq!(choice.reasoning, "hm\nyes");
    assert_eq!(choice.thinking[0].signature.as_deref(), Some("sig"));
    assert_eq!(choice.calls[0].arguments_json(), "{}");
    assert_eq!(choice.finish.as_deref(), Some("tool_use"));
    let usage = state.usage.as_ref().unwrap();
    assert_eq!(
        (usage.input_tokens, usage.output_tokens, usage.total_tokens),
        (Some(7), Some(9), Some(16))
    );
    assert!(
        events
            .iter()
            .any(|e| e == "Reasoning { choice: 0, text: \"\\nyes\" }"),
        "{events:?}"
    );
    let pieces: Vec<&[u8]> = ANTHROPIC.chunks(1).collect();
    assert_eq!(fold::<anthropic::Messages>(&pieces).0, events);
}

#[test]
fn a_delta_for_a_block_never_started_is_an_error() {
    let body = b"data: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n";
    let (_, result, _) = fold::<anthropic::Messages>(&[body]);
    assert_eq!(result.unwrap_err().path.as_deref(), Some("index"));
}

#[test]
fn compact_writes_like_orjson() {
    let cases = [
        (
            "{\"a\" : [1, 2.50, -0, 1e2, \"\\u00e9\\n\"], \"b\": {}}",
            Some("{\"a\":[1,2.5,0,100.0,\"\u{e9}\\n\"],\"b\":{}}"),
        ),
        ("{\"k\":1,\"j\":2,\"k\":3}", Some("{\"k\":3,\"j\":2}")),
        ("18446744073709551616", Some("1.8446744073709552e+19")),
    ];
    for (input, expected) in cases {
        let mut r = crate::json::Reader::over(input);
        assert_eq!(
            compact::compact(&mut r).unwrap().as_deref(),
            expected,
            "{input}"
        );
    }
    let deep = format!("{}{}", "[".repeat(255), "]".repeat(255));
    assert_eq!(
        compact::compact(&mut crate::json::Reader::over(&deep)).unwrap(),
        None
    );
    let ok = format!("{}{}", "[".repeat(254), "]".repeat(254));
    assert_eq!(
        compact::compact(&mut crate::json::Reader::over(&ok)).unwrap(),
        Some(ok.clone())
    );
    // Depth is judged once duplicate keys are dropped, as orjson loads and then writes.
    let replaced = format!("{{\"a\":{deep},\"a\":1}}");
    assert_eq!(
        compact::compact(&mut crate::json::Reader::over(&replaced))
            .unwrap()
            .as_deref(),
        Some("{\"a\":1}")
    );
    let many: String = (0..40).map(|i| format!("\"k{}\":{i},", i % 30)).collect();
    let text = format!("{{{many}\"z\":0}}");
    let mut r = crate::json::Reader::over(&text);
    let out = compact::compact(&mut r).unwrap().unwrap();
    assert!(
        out.starts_with("{\"k0\":30,\"k1\":31,") && out.ends_with("\"k29\":29,\"z\":0}"),
        "{out}"
    );
}
