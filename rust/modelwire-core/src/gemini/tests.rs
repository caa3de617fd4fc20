use std::borrow::Cow;

use super::*;

fn completion(body: &str) -> ChatCompletion<'_> {
    match parse_gemini_content(body.as_bytes()).unwrap() {
        Outcome::Completion(c) => c,
        Outcome::Blocked { .. } => panic!("blocked"),
    }
}

#[test]
fn text_thoughts_calls_and_usage() {
    let body = r#"{"candidates":[{"content":{"parts":[
        {"text":"a ","thought":true},{"text":"b","thought":true,"thoughtSignature":"S1"},
        {"text":"Hi"},{"functionCall":{"name":"f","args":{"x":1}},"thoughtSignature":"S2"}]},
        "finishReason":"STOP"}],
        "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":2,"thoughtsTokenCount":3,
        "cachedContentTokenCount":4,"totalTokenCount":15},"responseId":"r","modelVersion":"m"}"#;
    let c = completion(body);
    let message = &c.choices[0].message;
    assert_eq!(message.content.as_deref(), Some("Hi"));
    assert_eq!(message.reasoning.as_deref(), Some("a b"));
    assert_eq!(message.thinking_blocks.len(), 2);
    assert_eq!(message.thinking_blocks[0].thinking.as_deref(), Some("a b"));
    assert_eq!(message.thinking_blocks[0].signature.as_deref(), Some("S1"));
    assert_eq!(message.thinking_blocks[1].thinking, None);
    assert_eq!(message.thinking_blocks[1].signature.as_deref(), Some("S2"));
    assert_eq!(message.tool_calls[0].name, "f");
    assert!(
        matches!(&message.tool_calls[0].arguments, Arguments::Written { json, .. } if json == r#"{"x":1}"#)
    );
    let usage = c.usage.unwrap();
    assert_eq!(usage.input_tokens, Some(10));
    assert_eq!(usage.output_tokens, Some(5));
    assert_eq!(usage.reasoning_tokens, Some(3));
    assert_eq!(usage.cache_read_tokens, Some(4));
    assert_eq!(usage.total_tokens, Some(15));
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("STOP"));
}

#[test]
fn integer_finish_reasons_are_named() {
    let c = completion(r#"{"candidates":[{"finishReason":3},{"finishReason":99,"index":1}]}"#);
    assert_eq!(c.choices[0].finish_reason.as_deref(), Some("SAFETY"));
    assert_eq!(c.choices[1].finish_reason, Some(Cow::Owned("99".into())));
}

#[test]
fn a_blocked_prompt_and_a_malformed_call() {
    let blocked = parse_gemini_content(br#"{"promptFeedback":{"blockReason":"SAFETY"}}"#).unwrap();
    assert_eq!(
        blocked,
        Outcome::Blocked {
            reason: Cow::Borrowed("SAFETY"),
            message: None
        }
    );
    let error =
        parse_gemini_content(br#"{"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL"}]}"#)
            .unwrap_err();
    assert_eq!(error.path.as_deref(), Some("candidates[0].finishReason"));
}

#[test]
fn faults_name_the_field() {
    let error = parse_gemini_content(br#"{"candidates":[{"content":{"parts":[{"thought":1}]}}]}"#)
        .unwrap_err();
    assert_eq!(error.message, "expected a boolean, got integer");
    assert_eq!(
        error.path.as_deref(),
        Some("candidates[0].content.parts[0].thought")
    );
    let error = parse_gemini_content(br#"{"candidates":[{"finishReason":1.5}]}"#).unwrap_err();
    assert_eq!(error.message, "expected a string or an integer, got number");
}

#[test]
fn embeddings_of_each_shape() {
    use embeddings::parse_gemini_embeddings;
    let single = parse_gemini_embeddings(br#"{"embedding":{"values":[1,2]}}"#).unwrap();
    assert_eq!(
        (single.count, single.dimensions, single.values),
        (1, 2, vec![1.0, 2.0])
    );
    let batch =
        parse_gemini_embeddings(br#"{"embeddings":[{"values":[1]},{"values":[2]}]}"#).unwrap();
    assert_eq!(batch.values, vec![1.0, 2.0]);
    let predictions = parse_gemini_embeddings(
        br#"{"predictions":[{"embeddings":{"values":[1],"statistics":{"token_count":2}}},
            {"embeddings":{"values":[3],"statistics":{"token_count":5}}}]}"#,
    )
    .unwrap();
    assert_eq!(predictions.usage.unwrap().input_tokens, Some(7));
    let error = parse_gemini_embeddings(br#"{"embeddings":[{"values":[1]},{"values":[1,2]}]}"#)
        .unwrap_err();
    assert_eq!(error.path.as_deref(), Some("embeddings[1].values"));
}
