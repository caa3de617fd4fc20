use super::*;

/// A message as AWS frames it: string headers only.
fn frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut block = Vec::new();
    for (name, value) in headers {
        block.push(name.len() as u8);
        block.extend_from_slice(name.as_bytes());
        block.push(7);
        block.extend_from_slice(&(value.len() as u16).to_be_bytes());
        block.extend_from_slice(value.as_bytes());
    }
    raw(&block, payload)
}

fn raw(block: &[u8], payload: &[u8]) -> Vec<u8> {
    let total = (MIN_MESSAGE_BYTES + block.len() + payload.len()) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&(block.len() as u32).to_be_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(block);
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

fn stream() -> Vec<u8> {
    let mut out = frame(
        &[(":event-type", "messageStart"), (":message-type", "event")],
        br#"{"role":"assistant"}"#,
    );
    out.extend(frame(
        &[(":event-type", "contentBlockDelta")],
        br#"{"x":1}"#,
    ));
    out.extend(frame(&[], b""));
    out
}

#[test]
fn whole_stream() {
    let mut d = EventStreamDecoder::new();
    let messages = d.feed(&stream()).unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(
        messages[0].string_header(":event-type"),
        Some("messageStart")
    );
    assert_eq!(messages[0].payload, br#"{"role":"assistant"}"#);
    assert!(messages[2].headers.is_empty() && messages[2].payload.is_empty());
    d.finish().unwrap();
}

#[test]
fn every_split_gives_the_same_messages() {
    let bytes = stream();
    let whole = EventStreamDecoder::new().feed(&bytes).unwrap();
    for cut in 0..=bytes.len() {
        let mut d = EventStreamDecoder::new();
        let mut got = d.feed(&bytes[..cut]).unwrap();
        got.extend(d.feed(&bytes[cut..]).unwrap());
        d.finish().unwrap();
        assert_eq!(got, whole, "cut at {cut}");
    }
    let mut d = EventStreamDecoder::new();
    let mut got = Vec::new();
    for byte in &bytes {
        got.extend(d.feed(std::slice::from_ref(byte)).unwrap());
    }
    assert_eq!(got, whole);
}

#[test]
fn typed_headers() {
    let mut block = vec![
        1, b'a', 0, 1, b'b', 1, 1, b'c', 2, 0xff, 1, b'd', 3, 0x01, 0x00,
    ];
    block.extend([1, b'e', 4, 0, 0, 0, 7, 1, b'f', 5, 0, 0, 0, 0, 0, 0, 0, 9]);
    block.extend([
        1, b'g', 6, 0, 2, 0xde, 0xad, 1, b'h', 8, 0, 0, 0, 0, 0, 0, 1, 0,
    ]);
    block.extend([1, b'i', 9]);
    block.extend([7u8; 16]);
    let m = EventStreamDecoder::new().feed(&raw(&block, b"p")).unwrap();
    let values: Vec<_> = m[0].headers.iter().map(|(_, v)| v.clone()).collect();
    use HeaderValue::*;
    assert_eq!(
        values,
        vec![
            Bool(true),
            Bool(false),
            Byte(-1),
            Short(256),
            Int(7),
            Long(9),
            Bytes(vec![0xde, 0xad]),
            Timestamp(256),
            Uuid([7; 16])
        ]
    );
}

#[test]
fn checksum_faults_are_errors_after_the_messages_before_them() {
    let mut bytes = stream();
    let first = frame(&[], b"ok").len();
    let mut good = frame(&[], b"ok");
    good.extend_from_slice(&bytes);
    bytes = good;
    // Corrupt the payload of the second message.
    let at = first + 30;
    bytes[at] ^= 1;
    let mut d = EventStreamDecoder::new();
    let mut seen = Vec::new();
    let error = d.feed_with(&bytes, |m| seen.push(m)).unwrap_err();
    assert_eq!(seen.len(), 1);
    assert!(
        error
            .message
            .starts_with("event stream message 2: message checksum mismatch")
    );
    assert_eq!(error.offset, Some(first));
    assert_eq!(d.feed(b"").unwrap_err(), error);
    // The prelude checksum.
    let mut bytes = stream();
    bytes[9] ^= 1;
    let error = EventStreamDecoder::new().feed(&bytes).unwrap_err();
    assert!(
        error
            .message
            .starts_with("event stream message 1: prelude checksum mismatch (sent 0x")
    );
}

#[test]
fn truncated_streams_fail_at_the_end() {
    let bytes = stream();
    for cut in [1, 11, 12, 40, bytes.len() - 1] {
        let mut d = EventStreamDecoder::new();
        d.feed(&bytes[..cut]).unwrap();
        let error = d.finish().unwrap_err();
        assert!(
            error.message.contains("the stream ended inside"),
            "{cut}: {error:?}"
        );
    }
}

#[test]
fn oversized_and_impossible_preludes_are_refused_at_once() {
    let prelude = |total: u32, headers: u32| {
        let mut out = total.to_be_bytes().to_vec();
        out.extend(headers.to_be_bytes());
        let crc = crc32fast::hash(&out);
        out.extend(crc.to_be_bytes());
        out
    };
    let cases = [
        (
            prelude(u32::MAX, 0),
            "payload length 4294967279 exceeds the 25165824-byte cap",
        ),
        (
            prelude(200_000, 150_000),
            "headers length 150000 exceeds the 131072-byte cap",
        ),
        (
            prelude(15, 0),
            "total length 15 is below the 16-byte minimum",
        ),
        (
            prelude(20, 5),
            "headers length 5 does not fit in total length 20",
        ),
    ];
    for (bytes, reason) in cases {
        let error = EventStreamDecoder::new().feed(&bytes).unwrap_err();
        assert_eq!(error.message, format!("event stream message 1: {reason}"));
    }
}

#[test]
fn malformed_headers() {
    let cases: [(&[u8], &str); 4] = [
        (&[0], "a header name is empty or cut off"),
        (&[1, b'a'], "header \"a\" has no value"),
        (
            &[1, b'a', 7, 0, 5, b'x'],
            "the value of header \"a\" is cut off",
        ),
        (&[1, b'a', 10], "header \"a\" has unknown value type 10"),
    ];
    for (block, reason) in cases {
        let error = EventStreamDecoder::new()
            .feed(&raw(block, b""))
            .unwrap_err();
        assert_eq!(
            error.message,
            format!("event stream message 1: malformed headers: {reason}")
        );
    }
}
