#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::parse_anthropic_message as parse;
use crate::message::{Arguments, ThinkingBlock};

fn fault(body: &str) -> (String, Option<String>) {
    let error = parse(body.as_bytes()).unwrap_err();
    (error.message, error.path)
}

#[test]
fn blocks_fold_into_one_message() {
    let body = r#"{"id":"msg","model":"m","stop_reason":"tool_use","content":[
        {"type":"thinking","thinking":"a","signature":"s"},
        {"type":"redacted_thinking","data":"D"},
        {"type":"text","text":"x"},{"type":"server_tool_use","id":"s","input":{"q":1}},
        {"type":"text","text":"y"},{"type":"thinking","thinking":"","signature":"t"},
        {"type":"thinking","thinking":"b"},
        {"type":"tool_use","id":"","name":"f","input":{"b":1,"a":[1.0,"\u00e9"]}}],
        "usage":{"input_tokens":1,"cache_read_input_tokens":2,"cache_creation_input_tokens":3,
        "output_tokens":4,"output_tokens_details":{"thinking_tokens":5},"service_tier":"standard"}}"#;
    let result = parse(body.as_bytes()).unwrap();
    let choice = &result.choices[0];
    assert_eq!(choice.finish_reason.as_deref(), Some("tool_use"));
    let message = &choice.message;
    assert_eq!(message.content.as_deref(), Some("xy"));
    assert_eq!(message.reasoning.as_deref(), Some("a\nb"));
    assert_eq!(message.thinking_blocks.len(), 4);
    assert_eq!(
        message.thinking_blocks[1],
        ThinkingBlock {
            redacted_data: Some("D".into()),
            ..ThinkingBlock::default()
        }
    );
    let call = &message.tool_calls[0];
    assert_eq!(call.id, None);
    let Arguments::Written { json, .. } = &call.arguments else {
        panic!("{:?}", call.arguments)
    };
    assert_eq!(json, "{\"b\":1,\"a\":[1.0,\"\u{e9}\"]}");
    let usage = result.usage.unwrap();
    assert_eq!(
        (
            usage.input_tokens,
            usage.total_tokens,
            usage.reasoning_tokens
        ),
        (Some(6), Some(10), Some(5))
    );
    assert_eq!(result.service_tier.as_deref(), Some("standard"));
}

#[test]
fn members_count_only_for_the_types_that_read_them() {
    let body = r#"{"content":[{"type":"text","text":"x","data":1,"name":2,"input":3}]}"#;
    assert_eq!(
        parse(body.as_bytes()).unwrap().choices[0]
            .message
            .content
            .as_deref(),
        Some("x")
    );
    assert_eq!(
        fault(r#"{"content":[{"type":"tool_use","input":{}}]}"#),
        (
            "missing required field".into(),
            Some("content[0].name".into())
        )
    );
    assert_eq!(
        fault(r#"{"content":[{"type":"redacted_thinking","data":null}]}"#),
        (
            "expected a string, got null".into(),
            Some("content[0].data".into())
        )
    );
}

#[test]
fn faults_surface_in_the_twins_order() {
    // stop_reason is optional (left out and recorded), so the block is the fault.
    assert_eq!(
        fault(r#"{"content":[3],"stop_reason":1}"#),
        (
            "expected an object, got integer".into(),
            Some("content[0]".into())
        )
    );
    let lenient = parse(br#"{"content":[],"stop_reason":1,"id":"a","id":2}"#);
    assert_eq!(
        lenient.map(|c| c.skipped),
        Ok(vec!["id".to_string(), "stop_reason".to_string()])
    );
    assert_eq!(
        fault(r#"{"error":{"message":"Overloaded"}}"#),
        (
            "the response holds an error instead of a result: Overloaded".into(),
            Some("error".into())
        )
    );
    // A later duplicate replaces the faulty value.
    assert!(parse(br#"{"content":3,"content":[]}"#).is_ok());
}

#[test]
fn a_refusal_takes_the_explanation() {
    let body = r#"{"content":[],"stop_reason":"refusal","stop_details":{"explanation":"no"}}"#;
    let message = &parse(body.as_bytes()).unwrap().choices[0].message;
    assert_eq!(message.refusal.as_deref(), Some("no"));
    let body = r#"{"content":[],"stop_reason":"end_turn","stop_details":{"explanation":"no"}}"#;
    assert_eq!(
        parse(body.as_bytes()).unwrap().choices[0].message.refusal,
        None
    );
}

#[test]
fn too_deep_an_input_is_a_fault() {
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let body =
        format!(r#"{{"content":[{{"type":"tool_use","name":"f","input":{{"a":{deep}}}}}]}}"#);
    assert_eq!(
        fault(&body),
        (
            "nested more than 254 levels deep".into(),
            Some("content[0].input".into())
        )
    );
}
