//! Every recorded chat, embeddings, images and Anthropic messages body, cut short at every length and with bytes
//! flipped, gives a result or an error: never a panic. (Equality with the Python twin is asserted by
//! the pytest suite; this is the Rust side's own net.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use modelwire_core::json::Reader;
use modelwire_core::{anthropic, chat, embeddings, images};

fn corpus_root() -> PathBuf {
    let root = std::env::var("MODELWIRE_CORPUS").map(PathBuf::from);
    root.unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus"))
}

/// `response.body` of a corpus wrapper file, read with the crate's own reader.
fn body_of(wrapper: &[u8]) -> Option<Vec<u8>> {
    let mut r = Reader::new(wrapper).ok()?;
    let mut body = None;
    r.object(|r, key| {
        if key != "response" {
            return r.skip();
        }
        r.object(|r, key| {
            if key == "body" && r.null().map(|null| !null)? {
                body = Some(r.string()?.into_owned().into_bytes());
                return Ok(());
            }
            if key != "body" { r.skip() } else { Ok(()) }
        })
    })
    .ok()?;
    body
}

fn recordings(kind: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for provider in std::fs::read_dir(corpus_root()).expect("corpus directory") {
        let dir = provider.unwrap().path().join(kind);
        let Ok(files) = std::fs::read_dir(&dir) else {
            continue;
        };
        for file in files {
            let path = file.unwrap().path();
            if let Some(body) = body_of(&std::fs::read(&path).unwrap()) {
                found.push((path, body));
            }
        }
    }
    found
}

fn parse_any(kind: &str, body: &[u8]) -> bool {
    match kind {
        "chat_completions" => chat::parse_chat_completion(body).is_ok(),
        "embeddings" => embeddings::parse_embeddings(body).is_ok(),
        "messages" => anthropic::parse_anthropic_message(body).is_ok(),
        _ => images::parse_image_generation(body).is_ok(),
    }
}

#[test]
fn truncated_and_flipped_bodies_never_panic() {
    let mut checked = 0;
    for kind in ["chat_completions", "embeddings", "images", "messages"] {
        let files = recordings(kind);
        assert!(!files.is_empty(), "no {kind} recordings found");
        for (path, body) in files {
            let trimmed = body.trim_ascii_end().len();
            let step = (body.len() / 250).max(1);
            for end in (0..trimmed).step_by(step) {
                // A strict prefix of a JSON document is never a whole document.
                assert!(
                    !parse_any(kind, &body[..end]),
                    "{} cut at {end} parsed",
                    path.display()
                );
                checked += 1;
            }
            let mut flipped = body.clone();
            for at in (0..body.len()).step_by(step * 3) {
                for byte in [b'"', b'}', b'\\', 0xff, b'9', b'n'] {
                    let original = flipped[at];
                    flipped[at] = byte;
                    parse_any(kind, &flipped);
                    flipped[at] = original;
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 10_000, "only {checked} mutations were tried");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [1024_usize, 1025, 100_000] {
        let body = format!(
            "{{\"choices\": [], \"x\": {}{}}}",
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        );
        let ok = chat::parse_chat_completion(body.as_bytes()).is_ok();
        // The object itself is the first of the 1024 levels orjson allows.
        assert_eq!(ok, depth <= 1024, "depth {depth}");
    }
}

#[test]
fn deep_tool_input_is_a_fault_not_a_stack_overflow() {
    // Within what orjson reads (1024 levels) but past what it writes (254): arguments_json cannot be
    // made. Recursion stops at the write limit, so a 2 MiB thread (less than Python threads get)
    // suffices even unoptimised; the replaced duplicate under "b" is not followed.
    let deep = format!("{}{}", "[".repeat(1019), "]".repeat(1019));
    let body = format!(
        r#"{{"content":[{{"type":"tool_use","name":"f","input":{{"b":{{"a":{deep},"a":1}},"a":{deep}}}}}]}}"#
    );
    let fault = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || anthropic::parse_anthropic_message(body.as_bytes()).map(|_| ()))
        .unwrap()
        .join()
        .unwrap()
        .unwrap_err();
    assert_eq!(fault.path.as_deref(), Some("content[0].input"));
}
