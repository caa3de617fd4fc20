//! modelwire-core: the parts of modelwire that run per request and per stream event, in plain Rust.
//!
//! Nothing here knows about Python: the binding crate (`modelwire-py`) turns these results into the
//! canonical Python types. Every function takes untrusted bytes from the network and returns a
//! `Result`; none of them panics on any input.

pub mod anthropic;
pub mod bedrock;
pub mod chat;
pub mod embeddings;
pub mod error;
pub mod eventstream;
pub mod fields;
pub mod finish;
pub mod gemini;
pub mod images;
pub mod json;
pub mod media;
pub mod message;
pub mod responses;
pub mod sse;
pub mod stream;
pub mod usage;
