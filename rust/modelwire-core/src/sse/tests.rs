use super::*;

fn ev(event: Option<&str>, data: &str, id: Option<&str>, retry: Option<u64>) -> SseEvent {
    SseEvent {
        event: event.map(str::to_owned),
        data: data.to_owned(),
        id: id.map(str::to_owned),
        retry,
    }
}

fn invalid(offset: u64) -> DecodeError {
    DecodeError {
        fault: Fault::InvalidUtf8,
        offset: Some(offset),
    }
}

fn data(text: &str) -> SseEvent {
    ev(None, text, None, None)
}

/// Feeds `pieces` then finishes; the first error ends the run (events delivered before it are kept).
fn decode(pieces: &[&[u8]]) -> (Vec<SseEvent>, Option<DecodeError>) {
    let mut decoder = SseDecoder::new();
    let mut events = Vec::new();
    for piece in pieces {
        if let Err(error) = decoder.feed_with(piece, |e| events.push(e)) {
            return (events, Some(error));
        }
    }
    let error = decoder.finish_with(|e| events.push(e)).err();
    (events, error)
}

fn whole(body: &[u8]) -> Vec<SseEvent> {
    let (events, error) = decode(&[body]);
    assert_eq!(error, None);
    events
}

#[test]
fn fields_multi_line_data_and_dispatch_at_the_blank_line() {
    let body = b"event: delta\ndata: {\"a\":\ndata: 1}\nid: 7\nretry: 1500\n\ndata: [DONE]\n\n";
    assert_eq!(
        whole(body),
        [
            ev(Some("delta"), "{\"a\":\n1}", Some("7"), Some(1500)),
            // The last event id carries over; retry does not.
            ev(None, "[DONE]", Some("7"), None),
        ]
    );
}

#[test]
fn comments_and_keep_alives_make_no_event() {
    let body = b": OPENROUTER PROCESSING\n\n:\n\ndata: x\n: inside a block\n\n\n\n";
    assert_eq!(whole(body), [data("x")]);
}

#[test]
fn lf_crlf_and_cr_line_ends_decode_alike() {
    let lf = whole(b"event: e\ndata: a\ndata: b\n\ndata: c\n\n");
    assert_eq!(
        lf,
        whole(b"event: e\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n")
    );
    assert_eq!(lf, whole(b"event: e\rdata: a\rdata: b\r\rdata: c\r\r"));
    assert_eq!(
        lf,
        whole(b"event: e\rdata: a\r\ndata: b\n\r\ndata: c\r\n\n")
    );
}

#[test]
fn value_rules_colon_space_and_fields_without_colon() {
    let body = b"data:no space\n\ndata:  two spaces\n\ndata\n\ndata:\ndata\n\ndata: a: b\n\n";
    assert_eq!(
        whole(body),
        [
            data("no space"),
            data(" two spaces"),
            data(""),
            data("\n"),
            data("a: b")
        ]
    );
}

#[test]
fn id_with_nul_and_bad_retry_values_are_ignored() {
    let body = b"id: 1\n\ndata: a\nid: x\0y\n\ndata: b\nretry: 12a\nretry: -1\nretry:\n\nretry: 99999999999999999999\n\n";
    assert_eq!(
        whole(body),
        [
            ev(None, "", Some("1"), None),
            ev(None, "a", Some("1"), None),
            ev(None, "b", Some("1"), None),
        ]
    );
    assert_eq!(
        whole(b"retry: 0018446744073709551615\n\n")[0].retry,
        Some(u64::MAX)
    );
}

#[test]
fn events_without_data_arrive_and_an_empty_name_is_no_name() {
    let body = b"event: ping\n\nevent:\ndata: d\n\nunknown: field\n\n";
    assert_eq!(whole(body), [ev(Some("ping"), "", None, None), data("d")]);
}

#[test]
fn finish_delivers_a_last_event_without_its_blank_line_or_line_end() {
    assert_eq!(whole(b"data: a\n\ndata: b\n"), [data("a"), data("b")]);
    assert_eq!(
        whole(b"data: a\n\nevent: end\ndata: b"),
        [data("a"), ev(Some("end"), "b", None, None)]
    );
    assert_eq!(whole(b"data: a\r"), [data("a")]);
    assert_eq!(whole(b": just a comment"), []);
}

#[test]
fn a_leading_bom_is_stripped_once() {
    assert_eq!(whole(b"\xEF\xBB\xBFdata: a\n\n"), [data("a")]);
    // A second BOM is content: it becomes part of the field name, an unknown field.
    assert_eq!(whole(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n"), []);
    assert_eq!(whole(b"data: \xEF\xBB\xBFa\n\n"), [data("\u{feff}a")]);
}

#[test]
fn invalid_utf8_names_the_offset_after_delivering_what_came_before() {
    let mut decoder = SseDecoder::new();
    let events = decoder
        .feed(b"data: a\n\ndata: \xFF\n\ndata: c\n\n")
        .unwrap();
    assert_eq!(events, [data("a")]);
    let error = invalid(15);
    assert_eq!(decoder.feed(b"data: d\n\n"), Err(error));
    assert_eq!(decoder.finish(), Err(error));

    // Nothing before it in the chunk: the error comes at once.
    let mut decoder = SseDecoder::new();
    assert_eq!(decoder.feed(b"data: a\n\ndata: ").unwrap(), [data("a")]);
    assert_eq!(decoder.feed(b"\xE2\x82\n"), Err(invalid(15)));

    // A truncated sequence at the very end of the stream.
    assert_eq!(decode(&[b"data: \xE2\x82"]).1, Some(invalid(6)));
    // Comments must be UTF-8 too: nothing is silently skipped over.
    assert_eq!(decode(&[b":\xC0\x80\n"]).1, Some(invalid(1)));
}

#[test]
fn finish_resets_for_a_new_stream_but_keeps_failing_after_an_error() {
    let mut decoder = SseDecoder::new();
    assert_eq!(decoder.feed(b"id: 1\ndata: a").unwrap(), []);
    assert_eq!(decoder.finish().unwrap(), [ev(None, "a", Some("1"), None)]);
    assert_eq!(
        decoder.feed(b"\xEF\xBB\xBFdata: b\n\n").unwrap(),
        [data("b")]
    );
}

#[test]
fn a_ten_megabyte_chunk_and_a_ten_megabyte_event_byte_by_byte_are_linear() {
    let mut chunk = Vec::new();
    while chunk.len() < 10 << 20 {
        chunk.extend_from_slice(b"event: delta\ndata: {\"text\": \"0123456789abcdef\"}\n\n");
    }
    let mut decoder = SseDecoder::new();
    let count = decoder.feed(&chunk).unwrap().len();
    assert_eq!(count, chunk.len() / 49);
    assert!(decoder.bytes_scanned() <= chunk.len() as u64);

    let mut body = b"data: ".to_vec();
    body.resize(10 << 20, b'y');
    body.extend_from_slice(b"\n\n");
    let mut decoder = SseDecoder::new();
    let mut events = Vec::new();
    for byte in body.chunks(1) {
        events.extend(decoder.feed(byte).unwrap());
    }
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data.len(), (10 << 20) - 6);
    assert_eq!(decoder.bytes_scanned(), body.len() as u64);
}

/// xorshift64*: the core crate takes no dependencies for its tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_pieces<'a>(rng: &mut Rng, body: &'a [u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (piece, after) = rest.split_at(1 + rng.below(rest.len().min(9)));
        pieces.push(piece);
        rest = after;
    }
    pieces
}

#[test]
fn random_bytes_in_random_pieces_never_panic_and_match_one_piece() {
    // Bytes drawn mostly from the ones SSE gives meaning to, so fields, line ends and bad UTF-8 all occur.
    const ALPHABET: &[u8] =
        b"data:event:id:retry: \r\n\n\r0123456789x\0\xEF\xBB\xBF\xE2\x82\xAC\xFF\xC3";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = rng.below(64);
        let body: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(8) == 0 {
                    rng.next() as u8
                } else {
                    ALPHABET[rng.below(ALPHABET.len())]
                }
            })
            .collect();
        let expected = decode(&[&body]);
        let pieces = random_pieces(&mut rng, &body);
        assert_eq!(
            decode(&pieces),
            expected,
            "body {body:?} in pieces {pieces:?}"
        );
        let mut ndjson = NdjsonDecoder::new();
        for piece in pieces {
            let _ = ndjson.feed(piece);
        }
        let _ = ndjson.finish();
    }
}

/// Feeds `body` cut at `cut` into a decoder with small caps.
fn capped(body: &[u8], cut: usize, limits: Limits) -> (Vec<SseEvent>, Option<DecodeError>) {
    let mut decoder = SseDecoder::with_limits(limits);
    let mut events = Vec::new();
    let (a, b) = body.split_at(cut);
    for piece in [a, b] {
        if let Err(error) = decoder.feed_with(piece, |e| events.push(e)) {
            return (events, Some(error));
        }
    }
    let error = decoder.finish_with(|e| events.push(e)).err();
    (events, error)
}

#[test]
fn an_event_past_the_data_cap_fails_after_the_events_before_it_however_split() {
    let limits = Limits {
        max_line: 100,
        max_event: 7,
    };
    // "abc\ndefg" is 8 bytes of data: one too many. "abc\nde" (6) is fine.
    let body = b"data: x\n\ndata: abc\ndata: de\n\ndata: abc\n: note\ndata: defg\n\ndata: y\n\n";
    let too_large = DecodeError {
        fault: Fault::EventTooLarge(7),
        offset: None,
    };
    for cut in 0..=body.len() {
        let (events, error) = capped(body, cut, limits);
        assert_eq!(events, [data("x"), data("abc\nde")], "cut {cut}");
        assert_eq!(error, Some(too_large), "cut {cut}");
    }
    // The decoder stays failed.
    let mut decoder = SseDecoder::with_limits(limits);
    assert_eq!(decoder.feed(b"data: 12345678\n"), Err(too_large));
    assert_eq!(decoder.feed(b"\n"), Err(too_large));
    assert_eq!(decoder.finish(), Err(too_large));
}

#[test]
fn a_line_past_the_cap_fails_even_without_a_line_end_and_the_default_caps_hold() {
    let limits = Limits {
        max_line: 8,
        max_event: 100,
    };
    let (events, error) = capped(b"data: a\n\ndata: 12", 14, limits);
    assert_eq!(events, [data("a"), data("12")]);
    assert_eq!(error, None);
    let (events, error) = capped(b"data: a\n\ndata: 123", 14, limits);
    assert_eq!(events, [data("a")]);
    assert_eq!(
        error,
        Some(DecodeError {
            fault: Fault::LineTooLong(8),
            offset: Some(9),
        })
    );
    let default = Limits::default();
    assert_eq!(
        (default.max_line, default.max_event),
        (MAX_LINE_BYTES, MAX_EVENT_BYTES)
    );
}

#[test]
fn an_endless_line_fed_in_pieces_stops_at_the_cap_with_bounded_memory() {
    let mut decoder = SseDecoder::new();
    let piece = vec![b'x'; 1 << 20];
    let mut fed = 0usize;
    let error = loop {
        match decoder.feed(&piece) {
            Ok(events) => assert!(events.is_empty()),
            Err(error) => break error,
        }
        fed += piece.len();
        assert!(fed <= MAX_LINE_BYTES, "no error after {fed} bytes");
    };
    assert_eq!(error.fault, Fault::LineTooLong(MAX_LINE_BYTES));
    assert_eq!(error.offset, Some(0));
}
