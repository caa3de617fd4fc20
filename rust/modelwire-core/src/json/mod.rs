//! JSON as orjson reads and writes it: a validating pull reader, number typing, and output formatting.

pub mod compact;
pub mod number;
pub mod reader;
pub mod tree;
pub mod write;

pub use number::Number;
pub use reader::{Kind, MAX_DEPTH, Reader, Syn, SyntaxError};
