//! Finish reasons: the same table as `modelwire/parsing/pure/finish.py` (a test compares them).

/// Every value `normalise` returns (the binding keeps one Python string for each).
pub const VOCABULARY: [&str; 9] = [
    "stop",
    "length",
    "context_window_exceeded",
    "tool_calls",
    "content_filter",
    "refusal",
    "pause",
    "error",
    "other",
];

/// The canonical reason for a provider's value; `None` for "". Only ASCII case is ignored, so every
/// non-ASCII value is "other" (the same answer as the twin's `str.lower` in every Unicode version).
pub fn normalise(native: &str) -> Option<&'static str> {
    if native.is_empty() {
        return None;
    }
    if !native.is_ascii() {
        return Some("other");
    }
    let lower = native.to_ascii_lowercase();
    Some(match lower.as_str() {
        "stop" | "end_turn" | "stop_sequence" | "eos" | "eos_token" | "end" | "complete"
        | "completed" | "finish" => "stop",
        "length"
        | "max_tokens"
        | "max_output_tokens"
        | "max_completion_tokens"
        | "model_length"
        | "token_limit" => "length",
        "model_context_window_exceeded" | "context_window_exceeded" | "context_length_exceeded" => {
            "context_window_exceeded"
        }
        "tool_calls" | "tool_call" | "tool_use" | "function_call" => "tool_calls",
        "content_filter"
        | "content_filtered"
        | "safety"
        | "recitation"
        | "blocklist"
        | "prohibited_content"
        | "spii"
        | "image_safety"
        | "image_prohibited_content"
        | "image_recitation"
        | "guardrail_intervened"
        | "model_armor"
        | "language" => "content_filter",
        "refusal" => "refusal",
        "pause_turn" => "pause",
        "error" | "failed" | "malformed_function_call" => "error",
        _ => "other",
    })
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn vocabularies() {
        assert_eq!(normalise("STOP"), Some("stop"));
        assert_eq!(normalise("MAX_TOKENS"), Some("length"));
        assert_eq!(normalise("tool_use"), Some("tool_calls"));
        assert_eq!(normalise("eos"), Some("stop"));
        assert_eq!(
            normalise("model_context_window_exceeded"),
            Some("context_window_exceeded")
        );
        assert_eq!(normalise("ß"), Some("other"));
        assert_eq!(normalise(""), None);
    }
}
